package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/tsplug/ts-plug/gateway/bytescan"
	"net/http"
	"strings"
)

// maxSessionID bounds a client-chosen session ID, which is stored on
// every row of the session.
const maxSessionID = 128

// sessionHeaders are the request headers that carry a session ID, in
// order of preference: the generic x-session-id any client may send (the
// Pi extension does) wins, then Claude Code's, then Codex's session and,
// failing that, thread ID.
var sessionHeaders = []string{
	"X-Session-Id",
	"X-Claude-Code-Session-Id",
	"Session-Id",
	"Session_id",
	"Thread-Id",
	"Thread_id",
}

// SessionID groups a request with the others of the same conversation.
// It tries, in order:
//
//  1. a session header (see sessionHeaders);
//  2. Claude Code's body field metadata.user_id: a JSON string that holds
//     either a JSON object with "session_id" (current versions) or, in
//     older versions, "user_<hash>_account_<uuid>_session_<uuid>";
//  3. a conversation fingerprint, "fp_" and 16 hex digits: a hash of the
//     model and the text of the first user message (chat and Anthropic
//     "messages", Responses "input", Gemini "contents"). Every turn of a
//     chat resends that first message unchanged, so the turns group
//     together without any client cooperation. The hash leaves out who is
//     calling so the same ID can be recomputed from a capture alone; two
//     callers opening with the same message share the ID, and Sessions
//     keeps them apart by grouping on (session, principal).
//
// It returns "" when none applies (not JSON, no user message); the caller
// may then assign a random ID. Only the top level of the body is walked
// and only the first user message and metadata are decoded, so large
// agent bodies cost one byte scan.
func SessionID(h http.Header, body []byte) string {
	for _, name := range sessionHeaders {
		if v := cleanSessionID(h.Get(name)); v != "" {
			return v
		}
	}
	top := topLevel(body, "metadata", "model", "messages", "input", "contents")
	if id := claudeCodeSession(top["metadata"]); id != "" {
		return id
	}
	var model string
	if m := top["model"]; m != nil {
		_ = json.Unmarshal(m, &model)
	}
	text, ok := firstUserText(top)
	if !ok {
		return ""
	}
	sum := sha256.Sum256([]byte(model + "\x00" + text))
	return "fp_" + hex.EncodeToString(sum[:8])
}

// cleanSessionID trims a client-supplied ID and bounds its length.
func cleanSessionID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxSessionID {
		s = s[:maxSessionID]
	}
	return s
}

// claudeCodeSession reads the session from Anthropic metadata.user_id.
func claudeCodeSession(metadata []byte) string {
	if metadata == nil {
		return ""
	}
	var md struct {
		UserID string `json:"user_id"`
	}
	if json.Unmarshal(metadata, &md) != nil || md.UserID == "" {
		return ""
	}
	if strings.HasPrefix(strings.TrimSpace(md.UserID), "{") {
		var inner struct {
			SessionID string `json:"session_id"`
		}
		if json.Unmarshal([]byte(md.UserID), &inner) == nil {
			return cleanSessionID(inner.SessionID)
		}
		return ""
	}
	if i := strings.LastIndex(md.UserID, "_session_"); i >= 0 {
		return cleanSessionID(md.UserID[i+len("_session_"):])
	}
	return ""
}

// firstUserText returns the text of the first user message of any of the
// four APIs' conversation fields.
func firstUserText(top map[string][]byte) (string, bool) {
	if in := top["input"]; len(in) > 0 && in[0] == '"' { // Responses: input is the prompt
		var s string
		if json.Unmarshal(in, &s) == nil {
			return s, true
		}
	}
	for _, field := range []string{"messages", "input", "contents"} {
		list := top[field]
		if len(list) == 0 || list[0] != '[' {
			continue
		}
		var found []byte
		eachElement(list, func(el []byte) bool {
			m := topLevel(el, "role", "content", "parts")
			var role string
			if r := m["role"]; r != nil {
				_ = json.Unmarshal(r, &role)
			} else if field == "contents" {
				role = "user" // Gemini: role may be omitted for the user
			}
			if role != "user" {
				return true
			}
			found = m["content"]
			if found == nil {
				found = m["parts"]
			}
			return false
		})
		if found != nil {
			return contentText(found), true
		}
	}
	return "", false
}

// contentText flattens a message's content: a string, or an array of
// parts whose "text" members are joined. Content with no text at all (an
// image alone) hashes by its raw JSON.
func contentText(content []byte) string {
	var s string
	if json.Unmarshal(content, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(content, &parts) == nil {
		var texts []string
		for _, p := range parts {
			if p.Text != "" {
				texts = append(texts, p.Text)
			}
		}
		if len(texts) > 0 {
			return strings.Join(texts, "\n")
		}
	}
	return string(content)
}

// topLevel returns the raw values of the wanted keys of the JSON object
// in b (the last occurrence of a duplicate key, as encoding/json reads
// it). Other values are skipped without decoding. It is lenient: on
// malformed input it returns what it found so far.
func topLevel(b []byte, keys ...string) map[string][]byte {
	out := make(map[string][]byte, len(keys))
	s := jscan{b: b}
	s.space()
	if !s.eat('{') {
		return out
	}
	for {
		s.space()
		if s.eat('}') {
			return out
		}
		start := s.i
		if !s.str() {
			return out
		}
		key := string(b[start+1 : s.i-1])
		s.space()
		if !s.eat(':') {
			return out
		}
		s.space()
		vstart := s.i
		if !s.skip() {
			return out
		}
		for _, k := range keys {
			if k == key {
				out[key] = b[vstart:s.i]
			}
		}
		s.space()
		if !s.eat(',') {
			return out
		}
	}
}

// eachElement calls fn with the raw bytes of each element of the JSON
// array in b until fn returns false.
func eachElement(b []byte, fn func([]byte) bool) {
	s := jscan{b: b}
	s.space()
	if !s.eat('[') {
		return
	}
	for {
		s.space()
		if s.eat(']') {
			return
		}
		start := s.i
		if !s.skip() || !fn(b[start:s.i]) {
			return
		}
		s.space()
		if !s.eat(',') {
			return
		}
	}
}

// jscan is a minimal, non-validating JSON skipper.
type jscan struct {
	b []byte
	i int
}

func (s *jscan) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *jscan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str skips a string starting at the current '"'.
func (s *jscan) str() bool {
	if !s.eat('"') {
		return false
	}
	for s.i < len(s.b) {
		j := bytescan.IndexEither(s.b[s.i:], '"', '\\')
		if j < 0 {
			break
		}
		s.i += j
		if s.b[s.i] == '"' {
			s.i++
			return true
		}
		s.i += 2 // the backslash and the byte it escapes
	}
	s.i = len(s.b)
	return false
}

// skip skips one value of any type.
func (s *jscan) skip() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		return s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if !s.str() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default: // number, true, false, null
		start := s.i
		for s.i < len(s.b) && !strings.ContainsRune(",}] \t\r\n", rune(s.b[s.i])) {
			s.i++
		}
		return s.i > start
	}
}
