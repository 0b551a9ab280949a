package usage

import (
	"encoding/binary"

	"github.com/tsplug/ts-plug/gateway/bytescan"
)

// String roles in the content scanner.
const (
	strSkip  uint8 = iota
	strKey         // a member name, collected into key
	strCount       // content: measured
)

// maxTrackedDepth bounds the nesting whose containers the scanner tells
// apart (one bit each); deeper members are not matched.
const maxTrackedDepth = 64

// contentScanner measures the content of a JSON document fed to it in any
// chunking, as a non-streamed answer or Gemini's JSON-array stream arrives:
// the string values of the members named in members, and the whole raw
// bytes of the kindWhole ones. A document is not held (it may be large and
// cut anywhere), so unlike measureEvent this walks it byte by byte. It
// tracks only nesting, string and escape state and the current member
// name, so its memory is constant, and it does not validate: on malformed
// input it measures something and never fails. For a top-level array it
// also notes where each element ends.
type contentScanner struct {
	members []contentMember
	m       contentMeasure

	pos      int64  // bytes fed
	elemEnd  int64  // top-level array: bytes fed up to the end of the last element
	depth    int    // current nesting
	objects  uint64 // bit d set: the container at depth d+1 is an object
	started  bool
	array    bool // the top-level value is an array
	done     bool // the top-level value closed (or the input is hopeless)
	inStr    bool
	esc      bool
	str      uint8 // role of the current string
	nonEmpty bool  // the current counted value has content

	expectKey bool  // the next string in this object is a member name
	afterKey  bool  // a member name ended; ':' comes next
	pending   uint8 // kind of the value that comes next
	whole     bool  // inside a kindWhole value
	wholeBase int   // depth at which that value started

	key    [24]byte
	keyLen int // -1 once the name is longer than key
}

func (s *contentScanner) inObject() bool {
	d := s.depth - 1
	return d >= 0 && d < maxTrackedDepth && s.objects&(1<<d) != 0
}

// measure counts content bytes, and the value they belong to once.
func (s *contentScanner) measure(b []byte) {
	if len(b) == 0 {
		return
	}
	s.m.units += contentUnits(b)
	if !s.nonEmpty {
		s.nonEmpty = true
		s.m.values++
	}
}

// strBytes handles bytes inside a string.
func (s *contentScanner) strBytes(b []byte) {
	switch {
	case s.whole || s.str == strCount:
		s.measure(b)
	case s.str == strKey:
		if s.keyLen < 0 || s.keyLen+len(b) > len(s.key) {
			s.keyLen = -1
			return
		}
		s.keyLen += copy(s.key[s.keyLen:], b)
	}
}

// Write feeds the next bytes of the document. It never fails.
func (s *contentScanner) Write(b []byte) (int, error) {
	n := len(b)
	base := s.pos
	s.pos += int64(n)
	if s.done {
		return n, nil
	}
	for i := 0; i < len(b); i++ {
		if s.inStr {
			if s.esc {
				// The byte after a backslash is part of the string whatever it is.
				s.esc = false
				s.strBytes(b[i : i+1])
				continue
			}
			var j int
			if s.whole || s.str == strCount {
				// Content: find the string's end and weigh it in one pass.
				var units int64
				j, units = contentRun(b[i:])
				if j != 0 { // bytes before the end (j < 0: all of them; i < len(b))
					s.m.units += units
					if !s.nonEmpty {
						s.nonEmpty = true
						s.m.values++
					}
				}
				if j < 0 {
					return n, nil
				}
			} else {
				j = bytescan.IndexEither(b[i:], '"', '\\')
			}
			if j < 0 {
				s.strBytes(b[i:])
				return n, nil
			}
			if !s.whole && s.str != strCount {
				s.strBytes(b[i : i+j])
			}
			i += j
			if b[i] == '\\' {
				s.esc = true
				s.strBytes(b[i : i+1])
				continue
			}
			s.inStr = false
			if s.whole {
				s.measure(b[i : i+1])
			} else if s.str == strKey {
				s.afterKey = true
			}
			continue
		}
		c := b[i]
		if s.whole {
			s.measure(b[i : i+1]) // a whole value is measured raw, spaces included
		}
		if isSpace(c) {
			continue
		}
		switch c {
		case '"':
			s.inStr = true
			switch {
			case s.whole:
				s.str = strSkip // measured as part of the whole value
			case s.expectKey:
				s.expectKey = false
				s.str = strKey
				s.keyLen = 0
			case s.pending == kindString:
				s.str = strCount
				s.nonEmpty = false
			default:
				s.str = strSkip
			}
			s.pending = kindNone
		case '{', '[':
			if !s.started {
				s.started = true
				s.array = c == '['
			}
			if !s.whole && s.pending == kindWhole {
				s.whole = true
				s.wholeBase = s.depth
				s.nonEmpty = false
				s.measure(b[i : i+1])
			}
			s.pending = kindNone
			if d := s.depth; d < maxTrackedDepth {
				if c == '{' {
					s.objects |= 1 << d
				} else {
					s.objects &^= 1 << d
				}
			}
			s.depth++
			s.expectKey = c == '{' && s.depth <= maxTrackedDepth
		case '}', ']':
			s.depth--
			s.expectKey = false
			s.afterKey = false
			s.pending = kindNone
			if s.depth < 0 {
				s.done = true // more closers than openers: give up
				return n, nil
			}
			if s.whole && s.depth == s.wholeBase {
				s.whole = false
			}
			if s.array && s.depth == 1 {
				s.elemEnd = base + int64(i) + 1
			}
			if s.depth == 0 {
				s.done = true
				return n, nil
			}
		case ':':
			if s.afterKey {
				s.afterKey = false
				if !s.whole && s.keyLen > 0 {
					s.pending = memberKind(s.members, s.key[:s.keyLen])
				}
			}
		case ',':
			s.pending = kindNone
			s.afterKey = false
			s.expectKey = s.inObject()
		default:
			if !s.started {
				s.done = true // a top-level scalar: no content
				return n, nil
			}
			s.pending = kindNone // a number, true, false or null
			s.afterKey = false
		}
	}
	return n, nil
}

// contentRun returns the index of the first quote or backslash in b (-1 if
// none) and the contentUnits of the bytes before it: IndexEither and
// contentUnits fused, so a long answer string is read once, a word at a
// time while it is plain ASCII.
func contentRun(b []byte) (int, int64) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var units int64
	for i := 0; i < len(b); {
		for ; i+8 <= len(b); i += 8 {
			w := binary.LittleEndian.Uint64(b[i:])
			q, bs := w^(ones*'"'), w^(ones*'\\')
			if (q-ones)&^q&highs|(bs-ones)&^bs&highs|w&highs != 0 {
				break
			}
			units += 8
		}
		// The word that stopped the run (or the tail), byte by byte.
		for end := min(i+8, len(b)); i < end; i++ {
			switch c := b[i]; {
			case c == '"' || c == '\\':
				return i, units
			case c < 0x80:
				units++
			case c >= 0xC0:
				units += 4 // a rune's lead byte; continuation bytes count 0
			}
		}
	}
	return -1, units
}
