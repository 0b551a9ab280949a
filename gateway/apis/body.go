package apis

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tsplug/ts-plug/gateway/bytescan"
	"strings"
	"unicode/utf8"
)

// Errors returned by ScanBody and ModelFromBody; test with errors.Is.
// ErrInvalidJSON comes wrapped with the reason and the byte offset where
// scanning stopped, for logs; clients should get a generic message.
var (
	// ErrInvalidJSON means the body is not one valid JSON object.
	ErrInvalidJSON = errors.New("request body is not a valid JSON object")
	// ErrNoModel means the object has no "model" member, or an empty one.
	ErrNoModel = errors.New(`request body has no "model"`)
	// ErrModelNotString means "model" is present but not a JSON string.
	ErrModelNotString = errors.New(`request body "model" is not a string`)
	// ErrAmbiguousModel means a top-level key differs from "model" only in
	// case, which parsers disagree about.
	ErrAmbiguousModel = errors.New(`request body has an ambiguous "model"`)
)

// maxDepth matches encoding/json's nesting limit, so the scanner accepts
// exactly the documents the providers' JSON parsers and the rest of the
// gateway accept.
const maxDepth = 10000

// BodyInfo is what ScanBody reads from a request body's top-level object.
type BodyInfo struct {
	// Model is the top-level "model" string, unescaped. Empty if absent.
	Model string
	// HasModel is true when a top-level "model" member exists (any type).
	HasModel bool
	// ModelIsString is false when "model" exists but is not a string.
	ModelIsString bool
	// Stream is true when the top-level "stream" member is the literal true.
	Stream bool
	// ModelStart and ModelEnd delimit the (last) "model" value in the
	// body, for WithModel.
	ModelStart, ModelEnd int
}

// WithModel returns body with its top-level "model" value (as ScanBody
// found it in info) replaced by model, every other byte unchanged: no
// decode and re-encode of a body that may be hundreds of kilobytes, and
// the provider sees the client's request as sent but for the name.
func WithModel(body []byte, info BodyInfo, model string) []byte {
	q, _ := json.Marshal(model) // a string always marshals
	return Splice(body, Span{info.ModelStart, info.ModelEnd}, string(q))
}

// Splice returns doc with doc[s.Start:s.End] replaced by repl, in a new
// slice (doc is left as it was).
func Splice(doc []byte, s Span, repl string) []byte {
	out := make([]byte, 0, len(doc)-(s.End-s.Start)+len(repl))
	out = append(out, doc[:s.Start]...)
	out = append(out, repl...)
	return append(out, doc[s.End:]...)
}

// ScanBody reads the top-level "model" and "stream" members of a JSON
// object in one pass, skipping nested values without decoding them: agent
// requests run to hundreds of kilobytes of messages and tools, and the
// gateway only needs these two fields before forwarding the body unchanged.
//
// The whole body is validated with encoding/json's grammar, and duplicate
// keys resolve to the last occurrence as encoding/json and Python's json
// do. Both matter for authorization: the model the gateway checks against
// grants must be the model the provider will read, so any document the two
// parsers could read differently is rejected instead of guessed at. Keys
// match exactly (after unescaping), never case-insensitively.
func ScanBody(body []byte) (BodyInfo, error) {
	var info BodyInfo
	var ambiguous error
	_, err := walkObject(body, func(key []byte, keyEsc bool, valStart, valEnd int, valEsc bool) {
		val := body[valStart:valEnd]
		switch {
		case keyIs(key, keyEsc, "model"):
			info.HasModel = true
			info.ModelStart, info.ModelEnd = valStart, valEnd
			info.ModelIsString = val[0] == '"'
			info.Model = ""
			if info.ModelIsString {
				info.Model = unquote(val, valEsc)
			}
		case keyIs(key, keyEsc, "stream"):
			info.Stream = string(val) == "true"
		case ambiguous == nil && keyFoldIs(key, keyEsc, "model"):
			// "Model" or "MODEL": Go's encoding/json (Ollama and
			// other Go servers) would take it as the model, Python
			// and JavaScript would not. Refused (once the whole
			// body is known to be valid) rather than guessed at.
			ambiguous = fmt.Errorf("%w: key %s differs from \"model\" only in case", ErrAmbiguousModel, key)
		}
	})
	if err != nil {
		return BodyInfo{}, err
	}
	if ambiguous != nil {
		return BodyInfo{}, ambiguous
	}
	return info, nil
}

// Span is the byte range [Start, End) of a JSON value inside a document.
type Span struct{ Start, End int }

// Members finds the values of the wanted top-level members of the JSON
// object body (the last occurrence of a repeated one, as decoders keep),
// and open, the offset just after its opening brace, in the one pass and
// with the grammar of ScanBody: for rewriting a member in place without
// decoding the body. It fails when body is not one valid JSON object.
func Members(body []byte, wanted ...string) (members map[string]Span, open int, err error) {
	members = make(map[string]Span, len(wanted))
	open, err = walkObject(body, func(key []byte, keyEsc bool, valStart, valEnd int, _ bool) {
		for _, w := range wanted {
			if keyIs(key, keyEsc, w) {
				members[w] = Span{valStart, valEnd}
			}
		}
	})
	if err != nil {
		return nil, 0, err
	}
	return members, open, nil
}

// walkObject validates body as one JSON object and calls member for each
// top-level member: the raw key (with its quotes), whether it has
// escapes, and its value's span and escapes. Nested values are skipped,
// not decoded. It returns the offset just after the opening brace.
func walkObject(body []byte, member func(key []byte, keyEsc bool, valStart, valEnd int, valEsc bool)) (open int, err error) {
	s := scanner{data: body}
	s.skipSpace()
	if !s.consume('{') {
		return 0, s.errorf("expected '{'")
	}
	open = s.pos
	s.skipSpace()
	if !s.consume('}') {
		for {
			s.skipSpace()
			keyStart := s.pos
			keyEsc, err := s.skipString()
			if err != nil {
				return 0, err
			}
			key := body[keyStart:s.pos]
			s.skipSpace()
			if !s.consume(':') {
				return 0, s.errorf("expected ':' after object key")
			}
			s.skipSpace()
			valStart := s.pos
			valEsc, err := s.skipValue(1)
			if err != nil {
				return 0, err
			}
			member(key, keyEsc, valStart, s.pos, valEsc)
			s.skipSpace()
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				break
			}
			return 0, s.errorf("expected ',' or '}' in object")
		}
	}
	s.skipSpace()
	if s.pos != len(body) {
		return 0, s.errorf("data after top-level object")
	}
	return open, nil
}

// ModelFromBody returns the top-level "model" string of a JSON request body
// (see ScanBody for the guarantees). It fails with ErrNoModel when the
// member is missing or empty, ErrModelNotString when it is not a string,
// and ErrInvalidJSON when the body is not one valid JSON object.
func ModelFromBody(body []byte) (string, error) {
	info, err := ScanBody(body)
	switch {
	case err != nil:
		return "", err
	case info.HasModel && !info.ModelIsString:
		return "", ErrModelNotString
	case info.Model == "":
		return "", ErrNoModel
	}
	return info.Model, nil
}

// StreamFromBody reports whether a JSON request body asks for a streamed
// answer with a top-level "stream": true. Invalid bodies report false; the
// provider will reject them anyway.
func StreamFromBody(body []byte) bool {
	info, err := ScanBody(body)
	return err == nil && info.Stream
}

// keyIs compares a raw quoted key to name. Keys without escapes compare as
// bytes; escaped keys ("mod\u0065l") are decoded first, because a provider
// decodes them too.
func keyIs(raw []byte, escaped bool, name string) bool {
	if !escaped {
		return len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name
	}
	return unquote(raw, true) == name
}

// keyFoldIs reports whether a raw quoted key equals name ignoring case.
func keyFoldIs(raw []byte, escaped bool, name string) bool {
	if !escaped {
		return len(raw) == len(name)+2 && strings.EqualFold(string(raw[1:len(raw)-1]), name)
	}
	return strings.EqualFold(unquote(raw, true), name)
}

// unquote decodes a raw JSON string that the scanner already validated.
// The common case (no escapes, valid UTF-8) costs one string allocation;
// anything else goes through encoding/json so escapes, surrogate pairs and
// invalid UTF-8 (replaced by U+FFFD) decode exactly as the provider's
// parser would.
func unquote(raw []byte, escaped bool) string {
	inner := raw[1 : len(raw)-1]
	if !escaped && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "" // unreachable: the scanner validated the string
	}
	return s
}

// scanner walks a byte slice holding JSON. It validates as it skips and
// never allocates.
type scanner struct {
	data []byte
	pos  int
}

// errorf reports a syntax error at the current offset.
func (s *scanner) errorf(msg string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrInvalidJSON, msg, s.pos)
}

// skipSpace advances over JSON whitespace.
func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// consume advances over c if it is the next byte.
func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// skipValue advances over one JSON value. depth counts enclosing
// containers. escaped reports whether a string value contained escapes.
func (s *scanner) skipValue(depth int) (escaped bool, err error) {
	if s.pos >= len(s.data) {
		return false, s.errorf("unexpected end of input")
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		return s.skipString()
	case c == '{':
		return false, s.skipObject(depth + 1)
	case c == '[':
		return false, s.skipArray(depth + 1)
	case c == '-' || ('0' <= c && c <= '9'):
		return false, s.skipNumber()
	case c == 't':
		return false, s.skipLiteral("true")
	case c == 'f':
		return false, s.skipLiteral("false")
	case c == 'n':
		return false, s.skipLiteral("null")
	}
	return false, s.errorf("invalid character starting a value")
}

// skipObject advances over an object whose '{' is at s.pos.
func (s *scanner) skipObject(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting too deep")
	}
	s.pos++ // '{'
	s.skipSpace()
	if s.consume('}') {
		return nil
	}
	for {
		s.skipSpace()
		if _, err := s.skipString(); err != nil {
			return err
		}
		s.skipSpace()
		if !s.consume(':') {
			return s.errorf("expected ':' after object key")
		}
		s.skipSpace()
		if _, err := s.skipValue(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return s.errorf("expected ',' or '}' in object")
	}
}

// skipArray advances over an array whose '[' is at s.pos.
func (s *scanner) skipArray(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting too deep")
	}
	s.pos++ // '['
	s.skipSpace()
	if s.consume(']') {
		return nil
	}
	for {
		s.skipSpace()
		if _, err := s.skipValue(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			return nil
		}
		return s.errorf("expected ',' or ']' in array")
	}
}

// skipString advances over a string whose opening quote must be at s.pos.
// Control characters must be escaped; bytes >= 0x80 pass unchecked, as in
// encoding/json, which accepts invalid UTF-8 and decodes it to U+FFFD.
func (s *scanner) skipString() (escaped bool, err error) {
	if !s.consume('"') {
		return false, s.errorf("expected string")
	}
	for {
		// Fast path: run to the next byte that needs a closer look,
		// eight bytes at a time while none of them does.
		s.pos = bytescan.PlainRun(s.data, s.pos)
		for s.pos < len(s.data) && !stringSpecial[s.data[s.pos]] {
			s.pos++
		}
		if s.pos >= len(s.data) {
			return false, s.errorf("unterminated string")
		}
		switch s.data[s.pos] {
		case '"':
			s.pos++
			return escaped, nil
		case '\\':
		default:
			return false, s.errorf("control character in string")
		}
		escaped = true
		s.pos++ // backslash
		if s.pos >= len(s.data) {
			return false, s.errorf("unterminated string")
		}
		switch s.data[s.pos] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.pos++
		case 'u':
			s.pos++
			if len(s.data)-s.pos < 4 {
				return false, s.errorf("short unicode escape")
			}
			for _, h := range s.data[s.pos : s.pos+4] {
				if !isHex(h) {
					return false, s.errorf("invalid unicode escape")
				}
			}
			s.pos += 4
		default:
			return false, s.errorf("invalid escape")
		}
	}
}

// skipNumber advances over a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) skipNumber() error {
	s.consume('-')
	switch {
	case s.consume('0'):
	case s.pos < len(s.data) && '1' <= s.data[s.pos] && s.data[s.pos] <= '9':
		s.skipDigits()
	default:
		return s.errorf("invalid number")
	}
	if s.consume('.') {
		if s.skipDigits() == 0 {
			return s.errorf("invalid number fraction")
		}
	}
	if s.consume('e') || s.consume('E') {
		if !s.consume('+') {
			s.consume('-')
		}
		if s.skipDigits() == 0 {
			return s.errorf("invalid number exponent")
		}
	}
	return nil
}

// skipDigits advances over decimal digits and returns how many.
func (s *scanner) skipDigits() int {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// skipLiteral advances over lit (true, false, null).
func (s *scanner) skipLiteral(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.errorf("invalid literal")
	}
	s.pos += len(lit)
	return nil
}

// stringSpecial marks the bytes that end the fast path inside a string:
// the closing quote, a backslash, and control characters.
var stringSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
