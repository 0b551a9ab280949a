package usage

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/tsplug/ts-plug/gateway/bytescan"
)

// jsonScanner walks a JSON document incrementally, byte by byte, tracking
// only string/escape state and nesting depth, so memory stays constant
// whatever the document size. It captures, up to a limit:
//   - for a top-level object, the values of the wanted top-level keys
//     (e.g. "usage"), and
//   - for a top-level array, each element (Gemini's non-SSE
//     streamGenerateContent answers with an array of chunks).
//
// Member names are compared as a JSON parser reads them, after unescaping
// ("\u0075sage" is "usage"). It does not validate the document: it cannot
// hold a body that may be megabytes to validate it first, and a usage the
// provider reported before the body was cut is still the usage. Captured
// values are handed to decoders that validate them. On a valid document it
// captures exactly the members encoding/json decodes (the last of a
// repeated one comes last); FuzzJSONScanner checks that.
type jsonScanner struct {
	keys    []string // wanted top-level keys (object mode)
	max     int      // capture limit in bytes
	onValue func(key string, val []byte)

	started bool
	done    bool // the top-level value closed
	broken  bool // more closers than openers: give up
	array   bool
	depth   int
	inStr   bool
	esc     bool

	expectKey bool // object mode, depth 1: next string is a key
	inKey     bool
	keyBuf    [96]byte // room for a wanted name written all in \u escapes
	keyLen    int      // -1 when the key is longer than keyBuf
	afterKey  bool
	matched   string // wanted key whose value comes next

	pending   bool // the next non-space byte starts a captured value
	capturing bool
	capBase   int
	capKey    string
	capOver   bool
	buf       []byte
}

// firstCaptureBuf is the room a scanner's first captured value starts
// with: more than a usage object with all its details takes.
const firstCaptureBuf = 1 << 10

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Write feeds bytes of the document. It never fails.
func (s *jsonScanner) Write(b []byte) (int, error) {
	if s.done || s.broken {
		return len(b), nil
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if s.inStr && !s.esc && !s.capturing && !s.inKey {
			// Fast path: skip string content up to the next quote or
			// backslash; most bytes of a large body are in strings.
			j := bytescan.IndexEither(b[i:], '"', '\\')
			if j < 0 {
				return len(b), nil
			}
			i += j
			c = b[i]
		}
		if s.inStr {
			if s.capturing {
				s.add(c)
			}
			switch {
			case s.esc:
				s.esc = false
				s.keyByte(c)
			case c == '\\':
				s.esc = true
				s.keyByte(c)
			case c == '"':
				s.inStr = false
				if s.inKey {
					s.inKey = false
					s.afterKey = true
				}
			default:
				s.keyByte(c)
			}
			continue
		}
		if isSpace(c) {
			if s.capturing {
				s.add(c)
			}
			continue
		}
		if s.pending {
			s.pending = false
			s.capturing = true
			s.capBase = s.depth
			s.capKey = s.matched
			s.capOver = false
			if s.buf == nil {
				// One allocation for an ordinary usage object, rather
				// than append's doubling from eight bytes.
				s.buf = make([]byte, 0, min(s.max, firstCaptureBuf))
			}
			s.buf = s.buf[:0]
		}
		if s.capturing && s.depth == s.capBase && (c == ',' || c == '}' || c == ']') {
			s.finish() // a scalar value ended
		}
		if s.capturing {
			s.add(c)
		}
		switch c {
		case '"':
			s.inStr = true
			if s.depth == 1 && !s.array && s.expectKey {
				s.expectKey = false
				s.inKey = true
				s.keyLen = 0
			}
		case '{', '[':
			if !s.started {
				s.started = true
				s.array = c == '['
				s.expectKey = c == '{'
				s.pending = s.array
			}
			s.depth++
		case '}', ']':
			s.depth--
			if s.depth < 0 {
				s.broken = true
				return len(b), nil
			}
			if s.capturing && s.depth == s.capBase {
				s.finish()
			}
			if s.depth == 0 && s.started {
				s.done = true
				return len(b), nil
			}
		case ',':
			if s.depth == 1 {
				if s.array {
					s.pending = true
				} else {
					s.expectKey = true
				}
			}
		case ':':
			if s.depth == 1 && s.afterKey {
				s.afterKey = false
				if k := s.wanted(); k != "" {
					s.matched = k
					s.pending = true
				}
			}
		default:
			if !s.started {
				// A top-level scalar: nothing to capture.
				s.broken = true
				return len(b), nil
			}
		}
	}
	return len(b), nil
}

func (s *jsonScanner) keyByte(c byte) {
	if !s.inKey || s.keyLen < 0 {
		return
	}
	if s.keyLen == len(s.keyBuf) {
		s.keyLen = -1
		return
	}
	s.keyBuf[s.keyLen] = c
	s.keyLen++
}

func (s *jsonScanner) wanted() string {
	if s.keyLen < 0 {
		return ""
	}
	k := s.keyBuf[:s.keyLen]
	if bytes.IndexByte(k, '\\') >= 0 {
		q := append(append([]byte{'"'}, k...), '"')
		u, err := jsontext.AppendUnquote(nil, q)
		if err != nil {
			return "" // invalid: no wanted name
		}
		k = u
	}
	for _, w := range s.keys {
		if string(k) == w {
			return w
		}
	}
	return ""
}

func (s *jsonScanner) add(c byte) {
	if s.capOver {
		return
	}
	if len(s.buf) >= s.max {
		s.capOver = true
		s.buf = s.buf[:0]
		return
	}
	s.buf = append(s.buf, c)
}

func (s *jsonScanner) finish() {
	s.capturing = false
	if !s.capOver && s.onValue != nil {
		s.onValue(s.capKey, s.buf)
	}
	s.buf = s.buf[:0]
}
