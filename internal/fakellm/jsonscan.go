package fakellm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits of the bounded JSON decoder. Request bodies may be hundreds of
// megabytes (tests push big uploads through the gateway), so the fake never
// holds a whole body: strings are cut, and past maxNodes values are parsed
// but dropped.
const (
	maxJSONString = 64 << 10 // bytes kept of any one string value
	maxJSONNodes  = 100_000  // values kept per document
	maxJSONDepth  = 512      // nesting limit, so "[[[[…" cannot exhaust the stack
	maxJSONNumber = 1 << 10  // longest number literal accepted
)

// errJSONSyntax reports a body that is not one well-formed JSON value.
var errJSONSyntax = errors.New("invalid JSON")

// boundedDecoder parses one JSON value from a stream into the generic form
// json.Unmarshal into an `any` produces (map[string]any, []any, string,
// float64, bool, nil), in memory bounded by the limits above whatever the
// input size.
type boundedDecoder struct {
	r         *bufio.Reader
	maxString int
	nodes     int
	maxNodes  int
}

// decodeBounded reads one JSON value from r with the package limits. Only
// the leading value is parsed; the caller drains whatever follows.
// readers recycles the decoder's 32 KiB buffers: the fake stands in for
// a provider in benchmarks, where a fresh buffer per request made it
// spend more CPU than the gateway it is compared with.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

func decodeBounded(r io.Reader) (any, error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() { br.Reset(nil); readers.Put(br) }()
	d := &boundedDecoder{
		r:         br,
		maxString: maxJSONString,
		maxNodes:  maxJSONNodes,
	}
	v, err := d.value(0)
	if err != nil {
		return nil, fmt.Errorf("decoding request body: %w", err)
	}
	return v, nil
}

// keep reports whether one more value still fits in the node budget.
func (d *boundedDecoder) keep() bool {
	d.nodes++
	return d.nodes <= d.maxNodes
}

// next returns the next non-space byte.
func (d *boundedDecoder) next() (byte, error) {
	for {
		c, err := d.r.ReadByte()
		if err != nil {
			return 0, unexpected(err)
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, nil
	}
}

// unexpected turns a plain EOF in the middle of a value into a syntax error.
func unexpected(err error) error {
	if err == io.EOF {
		return fmt.Errorf("%w: unexpected end of input", errJSONSyntax)
	}
	return err
}

func (d *boundedDecoder) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("%w: nested too deeply", errJSONSyntax)
	}
	c, err := d.next()
	if err != nil {
		return nil, err
	}
	switch {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		if err != nil || !d.keep() {
			return nil, err
		}
		return s, nil
	case c == 't':
		return d.literal("rue", true)
	case c == 'f':
		return d.literal("alse", false)
	case c == 'n':
		return d.literal("ull", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(c)
	}
	return nil, fmt.Errorf("%w: unexpected %q", errJSONSyntax, c)
}

func (d *boundedDecoder) object(depth int) (any, error) {
	m := map[string]any{}
	keep := d.keep()
	c, err := d.next()
	if err != nil {
		return nil, err
	}
	if c == '}' {
		return m, nil
	}
	for {
		if c != '"' {
			return nil, fmt.Errorf("%w: object key expected, got %q", errJSONSyntax, c)
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if c, err = d.next(); err != nil {
			return nil, err
		}
		if c != ':' {
			return nil, fmt.Errorf("%w: ':' expected, got %q", errJSONSyntax, c)
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if keep && d.nodes <= d.maxNodes {
			m[k] = v
		}
		if c, err = d.next(); err != nil {
			return nil, err
		}
		switch c {
		case '}':
			if !keep {
				return nil, nil
			}
			return m, nil
		case ',':
			if c, err = d.next(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: ',' or '}' expected, got %q", errJSONSyntax, c)
		}
	}
}

func (d *boundedDecoder) array(depth int) (any, error) {
	a := []any{}
	keep := d.keep()
	c, err := d.next()
	if err != nil {
		return nil, err
	}
	if c == ']' {
		return a, nil
	}
	if err := d.r.UnreadByte(); err != nil {
		return nil, err
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if keep && d.nodes <= d.maxNodes {
			a = append(a, v)
		}
		if c, err = d.next(); err != nil {
			return nil, err
		}
		switch c {
		case ']':
			if !keep {
				return nil, nil
			}
			return a, nil
		case ',':
		default:
			return nil, fmt.Errorf("%w: ',' or ']' expected, got %q", errJSONSyntax, c)
		}
	}
}

func (d *boundedDecoder) literal(rest string, v any) (any, error) {
	for i := 0; i < len(rest); i++ {
		c, err := d.r.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		if c != rest[i] {
			return nil, fmt.Errorf("%w: bad literal", errJSONSyntax)
		}
	}
	d.keep()
	return v, nil
}

func (d *boundedDecoder) number(first byte) (any, error) {
	buf := []byte{first}
	for {
		c, err := d.r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			if err := d.r.UnreadByte(); err != nil {
				return nil, err
			}
			break
		}
		if len(buf) >= maxJSONNumber {
			return nil, fmt.Errorf("%w: number too long", errJSONSyntax)
		}
		buf = append(buf, c)
	}
	f, err := strconv.ParseFloat(string(buf), 64)
	if err != nil {
		return nil, fmt.Errorf("%w: bad number %q", errJSONSyntax, buf)
	}
	if !d.keep() {
		return nil, nil
	}
	return f, nil
}

// str reads a string whose opening quote was consumed, keeping at most
// maxString bytes of it (cut at a rune boundary).
func (d *boundedDecoder) str() (string, error) {
	var out []byte
	add := func(p []byte) {
		if room := d.maxString - len(out); room > 0 {
			out = append(out, p[:min(room, len(p))]...)
		}
	}
	for {
		// Fast path: copy the run of plain bytes up to a quote or backslash.
		if _, err := d.r.Peek(1); err != nil {
			return "", unexpected(err)
		}
		buf, _ := d.r.Peek(d.r.Buffered())
		i := bytes.IndexAny(buf, "\"\\")
		if i < 0 {
			add(buf)
			if _, err := d.r.Discard(len(buf)); err != nil {
				return "", err
			}
			continue
		}
		add(buf[:i])
		if _, err := d.r.Discard(i); err != nil {
			return "", err
		}
		c, _ := d.r.ReadByte()
		if c == '"' {
			return trimRune(out), nil
		}
		r, err := d.escape()
		if err != nil {
			return "", err
		}
		add(utf8.AppendRune(nil, r))
	}
}

// escape decodes one escape sequence after its backslash.
func (d *boundedDecoder) escape() (rune, error) {
	c, err := d.r.ReadByte()
	if err != nil {
		return 0, unexpected(err)
	}
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r1, err := d.hex4()
		if err != nil {
			return 0, err
		}
		if !utf16.IsSurrogate(r1) {
			return r1, nil
		}
		// A high surrogate must be followed by \u and its low half.
		if b, err := d.r.Peek(2); err != nil || string(b) != `\u` {
			return utf8.RuneError, nil
		}
		_, _ = d.r.Discard(2)
		r2, err := d.hex4()
		if err != nil {
			return 0, err
		}
		return utf16.DecodeRune(r1, r2), nil
	}
	return 0, fmt.Errorf("%w: bad escape \\%c", errJSONSyntax, c)
}

func (d *boundedDecoder) hex4() (rune, error) {
	var b [4]byte
	if _, err := io.ReadFull(d.r, b[:]); err != nil {
		return 0, unexpected(err)
	}
	n, err := strconv.ParseUint(string(b[:]), 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%w: bad \\u escape", errJSONSyntax)
	}
	return rune(n), nil
}

// trimRune drops a partial UTF-8 sequence left at the end by a cut.
func trimRune(b []byte) string {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size > 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return string(b)
}
