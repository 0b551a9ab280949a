package fakellm

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Limits of the request-body decoder. Request bodies may be tens of
// megabytes (tests push big uploads through the gateway), so the fake
// keeps only so much of what it decodes: strings are cut, and past
// maxJSONNodes values are parsed but dropped.
const (
	maxJSONString = 64 << 10 // bytes kept of any one string value
	maxJSONNodes  = 100_000  // values kept per document
	maxJSONDepth  = 512      // nesting limit, so "[[[[…" cannot exhaust the stack
)

// errJSONSyntax reports a body that is not one well-formed JSON value.
var errJSONSyntax = errors.New("invalid JSON")

// decodeOptions make jsontext read what encoding/json reads: repeated
// names (the last wins) and invalid UTF-8 (read as U+FFFD).
var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// boundedDecoder reads one JSON value with jsontext, a real JSON parser,
// into the generic form json.Unmarshal into an `any` produces
// (map[string]any, []any, string, float64, bool, nil), keeping at most
// maxString bytes of a string and maxNodes values.
type boundedDecoder struct {
	dec       *jsontext.Decoder
	maxString int
	nodes     int
	maxNodes  int
}

// decodeBounded reads one JSON value from r with the package limits. Only
// the leading value is parsed; the caller drains whatever follows.
func decodeBounded(r io.Reader) (any, error) {
	d := &boundedDecoder{
		dec:       jsontext.NewDecoder(r, decodeOptions...),
		maxString: maxJSONString,
		maxNodes:  maxJSONNodes,
	}
	v, err := d.value()
	if err != nil {
		return nil, fmt.Errorf("decoding request body: %w: %w", errJSONSyntax, err)
	}
	return v, nil
}

// keep reports whether one more value still fits in the node budget.
func (d *boundedDecoder) keep() bool {
	d.nodes++
	return d.nodes <= d.maxNodes
}

// value reads the next value.
func (d *boundedDecoder) value() (any, error) {
	tok, err := d.dec.ReadToken()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch tok.Kind() {
	case '{', '[':
		if d.dec.StackDepth() > maxJSONDepth {
			return nil, errors.New("nested too deeply")
		}
		if tok.Kind() == '{' {
			return d.object()
		}
		return d.array()
	case '"':
		s := tok.String()
		if !d.keep() {
			return nil, nil
		}
		if len(s) > d.maxString {
			s = trimRune([]byte(s[:d.maxString]))
		}
		return s, nil
	case 't', 'f':
		d.keep()
		return tok.Bool(), nil
	case 'n':
		d.keep()
		return nil, nil
	case '0':
		f, err := strconv.ParseFloat(tok.String(), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s out of range", tok.String())
		}
		if !d.keep() {
			return nil, nil
		}
		return f, nil
	}
	return nil, fmt.Errorf("unexpected %v", tok.Kind())
}

func (d *boundedDecoder) object() (any, error) {
	m := map[string]any{}
	keep := d.keep()
	for d.dec.PeekKind() == '"' {
		name, err := d.dec.ReadToken()
		if err != nil {
			return nil, err
		}
		k := name.String()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if keep && d.nodes <= d.maxNodes {
			m[k] = v
		}
	}
	if _, err := d.dec.ReadToken(); err != nil { // '}'
		return nil, err
	}
	if !keep {
		return nil, nil
	}
	return m, nil
}

func (d *boundedDecoder) array() (any, error) {
	a := []any{}
	keep := d.keep()
	for k := d.dec.PeekKind(); k != ']'; k = d.dec.PeekKind() {
		if k == 0 { // an error: ReadToken reports it
			_, err := d.dec.ReadToken()
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if keep && d.nodes <= d.maxNodes {
			a = append(a, v)
		}
	}
	if _, err := d.dec.ReadToken(); err != nil { // ']'
		return nil, err
	}
	if !keep {
		return nil, nil
	}
	return a, nil
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
