package apis

import (
	"bytes"
	"strings"
)

// SessionHints is what a request body says about the conversation it
// belongs to, for ledger.SessionID: read from the members ScanBody found,
// so the session ID is computed from exactly the body the gateway
// authorized and the provider reads (keys unescaped, nested look-alikes
// ignored), not from a second, lenient reading of it.
type SessionHints struct {
	// Model is the body's top-level "model" string ("" if none).
	Model string
	// UserID is the top-level metadata.user_id string (Anthropic's, where
	// Claude Code puts its session), "" if absent or not a string.
	UserID string
	// FirstUserText is the text of the first user message, valid when
	// HasFirstUser: see BodyInfo.SessionHints for which one.
	FirstUserText string
	HasFirstUser  bool
}

// sessionMembers are the top-level members SessionHints reads, besides
// "model". They are read as a decoder keeps them, the last of a repeated
// one, in exactly this spelling: they choose no model, price or limit, so
// ScanBody does not refuse bodies over them.
var sessionMembers = [...]string{"metadata", "messages", "input", "contents"}

// sessionSpans are the values of sessionMembers ScanBody found.
type sessionSpans struct {
	spans [len(sessionMembers)]Span
	has   [len(sessionMembers)]bool
}

// note records the value of a top-level member if it is one of
// sessionMembers.
func (s *sessionSpans) note(key []byte, keyEsc bool, span Span) {
	name := key[1 : len(key)-1]
	if keyEsc {
		name = []byte(unquote(key, true)) // once, not per name
	}
	for i, n := range sessionMembers {
		if string(name) == n {
			s.spans[i], s.has[i] = span, true
		}
	}
}

// member returns the value of sessionMembers[i] in body, or nil.
func (s *sessionSpans) member(body []byte, i int) []byte {
	if !s.has[i] {
		return nil
	}
	return body[s.spans[i].Start:s.spans[i].End]
}

// SessionHints reads what body (the one ScanBody returned info for) says
// about its conversation: the model, metadata.user_id, and the text of the
// first user message. That is a Responses "input" string, else the first
// element of "messages", "input" or "contents" (tried in that order) that
// is a user message (role "user"; in Gemini's contents a missing role is
// the user's too) and has a "content" (or else "parts"). Its text is a
// string content as is; for an array of parts, their "text" strings joined
// with newlines; otherwise (no text at all, an image alone) the content's
// raw JSON. Members are compared after unescaping and the last of a
// repeated one wins, as encoding/json decodes into a map; FuzzSessionHints
// checks that. Only the first elements of the conversation, up to the
// first user message, are looked at again; the rest of a large body is not.
func (info *BodyInfo) SessionHints(body []byte) SessionHints {
	h := SessionHints{Model: info.Model}
	s := &info.session
	if md := s.member(body, 0); md != nil && md[0] == '{' {
		if v, ok := lastMember(md, "user_id"); ok && v[0] == '"' {
			h.UserID = unquoteAny(v)
		}
	}
	if in := s.member(body, 2); in != nil && in[0] == '"' { // Responses: input is the prompt
		h.FirstUserText, h.HasFirstUser = unquoteAny(in), true
		return h
	}
	for i, field := range sessionMembers[1:] {
		list := s.member(body, i+1)
		if list == nil || list[0] != '[' {
			continue
		}
		if content, ok := firstUserContent(list, field == "contents"); ok {
			h.FirstUserText, h.HasFirstUser = contentText(content), true
			return h
		}
	}
	return h
}

// firstUserContent finds the first user message in the (validated) array
// list and returns its "content", else its "parts". ok is false when there
// is no user message, or the first has neither member. roleOptional is
// Gemini's rule: an element without a role is the user's.
func firstUserContent(list []byte, roleOptional bool) (content []byte, ok bool) {
	s := scanner{data: list, pos: 1}
	for {
		s.skipSpace()
		if s.consume(']') {
			return nil, false
		}
		var role, found []byte
		hasRole, hasContent := false, false
		var err error
		if s.pos < len(list) && list[s.pos] == '{' {
			// Walked in place: an element before the first user message
			// (a long system prompt) is read once, not skipped and then
			// walked.
			err = s.walkMembers(2, func(key []byte, keyEsc bool, vs, ve int, _ bool) {
				switch {
				case keyIs(key, keyEsc, "role"):
					role, hasRole = list[vs:ve], true
				case keyIs(key, keyEsc, "content"):
					found, hasContent = list[vs:ve], true
				case keyIs(key, keyEsc, "parts") && !hasContent:
					found = list[vs:ve]
				}
			})
		} else {
			_, err = s.skipValue(1)
		}
		if err != nil {
			return nil, false // unreachable: ScanBody validated the body
		}
		isUser := !hasRole && roleOptional
		if hasRole && role[0] == '"' {
			isUser = unquoteAny(role) == "user"
		}
		if isUser {
			return found, found != nil
		}
		s.skipSpace()
		s.consume(',')
	}
}

// contentText flattens a message's content: a string (null is ""), or an
// array of parts (objects or nulls) whose non-empty "text" strings are
// joined with newlines. Content with no text at all, or of any other
// shape, hashes by its raw JSON.
func contentText(content []byte) string {
	switch content[0] {
	case '"':
		return unquoteAny(content)
	case 'n':
		return ""
	case '[':
	default:
		return string(content)
	}
	var texts []string
	s := scanner{data: content, pos: 1}
	for {
		s.skipSpace()
		if s.consume(']') {
			break
		}
		if s.pos >= len(content) {
			return string(content) // unreachable: ScanBody validated the body
		}
		switch content[s.pos] {
		case 'n':
			if _, err := s.skipValue(1); err != nil {
				return string(content) // unreachable, as above
			}
		case '{':
			// The part's last "text", in one pass over it.
			var text []byte
			ok := false
			if err := s.walkMembers(2, func(key []byte, keyEsc bool, vs, ve int, _ bool) {
				if keyIs(key, keyEsc, "text") {
					text, ok = content[vs:ve], true
				}
			}); err != nil {
				return string(content) // unreachable, as above
			}
			switch {
			case !ok || text[0] == 'n':
			case text[0] == '"':
				if t := unquoteAny(text); t != "" {
					texts = append(texts, t)
				}
			default:
				return string(content) // a text that is not a string
			}
		default:
			return string(content) // a part that is not an object
		}
		s.skipSpace()
		s.consume(',')
	}
	if len(texts) == 0 {
		return string(content)
	}
	return joinLines(texts)
}

// joinLines joins texts with newlines.
func joinLines(texts []string) string {
	n := len(texts) - 1
	for _, t := range texts {
		n += len(t)
	}
	var b strings.Builder // its String does not copy
	b.Grow(n)
	for i, t := range texts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t)
	}
	return b.String()
}

// unquoteAny decodes a raw JSON string that the scanner validated,
// looking for escapes first.
func unquoteAny(raw []byte) string {
	return unquote(raw, bytes.IndexByte(raw, '\\') >= 0)
}

// lastMember returns the value of the last member named name of the
// (validated) JSON object obj.
func lastMember(obj []byte, name string) (val []byte, ok bool) {
	_, _ = walkObject(obj, func(key []byte, keyEsc bool, vs, ve int, _ bool) {
		if keyIs(key, keyEsc, name) {
			val, ok = obj[vs:ve], true
		}
	})
	return val, ok
}
