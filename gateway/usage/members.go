package usage

import (
	"bytes"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// memberReader finds members of a provider's JSON messages (an SSE event's
// data, a response object) with a real JSON parser, jsontext, so that what
// the gateway reads is what the caller's SDK reads: a member is found only
// at the level asked for (a model's text or a tool call's arguments that
// contain "usage": {...} are content), names are compared after unescaping
// ("\u0075sage" is "usage"), the last of a repeated member wins, and a
// message that is not valid JSON yields nothing. Those are encoding/json's
// semantics when it decodes into a map[string]json.RawMessage;
// FuzzMemberReader checks it agrees.
//
// Values are returned as raw bytes that alias the input (jsontext reads a
// bytes.Buffer in place), valid as long as the input is. The zero value is
// ready to use; a reader is reused across events so that it allocates
// nothing per event.
type memberReader struct {
	dec  jsontext.Decoder
	src  bytes.Buffer
	name []byte // an escaped name, unescaped
}

// readOptions make jsontext accept exactly the documents encoding/json
// accepts: repeated names (jsontext refuses them by default) and invalid
// UTF-8 in strings (read as U+FFFD, which no name looked for contains).
var readOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// members reads the JSON object obj and sets vals[i] to the value of its
// last top-level member named names[i], or nil. It reports false, leaving
// every vals[i] nil, when obj is not one valid JSON object (surrounded by
// whitespace at most).
func (r *memberReader) members(obj []byte, names []string, vals [][]byte) bool {
	clear(vals)
	r.reset(obj)
	if tok, err := r.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	for r.dec.PeekKind() == '"' {
		name, err := r.dec.ReadValue()
		if err != nil {
			break
		}
		i := r.nameIndex(name, names)
		if i < 0 {
			if r.dec.SkipValue() != nil {
				break
			}
			continue
		}
		v, err := r.dec.ReadValue()
		if err != nil {
			break
		}
		vals[i] = v
	}
	if !r.end('}') {
		clear(vals)
		return false
	}
	return true
}

// elements calls fn with each element of the JSON array arr, in order. It
// reports false when arr is not one valid JSON array, in which case fn may
// have seen some of its elements. fn must not use r.
func (r *memberReader) elements(arr []byte, fn func(el []byte)) bool {
	r.reset(arr)
	if tok, err := r.dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return false
	}
	for k := r.dec.PeekKind(); k != 0 && k != ']'; k = r.dec.PeekKind() {
		v, err := r.dec.ReadValue()
		if err != nil {
			return false
		}
		fn(v)
	}
	return r.end(']')
}

// reset starts reading doc.
func (r *memberReader) reset(doc []byte) {
	r.src = *bytes.NewBuffer(doc)
	r.dec.Reset(&r.src, readOptions...)
}

// end reads the closing delimiter of the top-level value and checks that
// nothing but whitespace follows it.
func (r *memberReader) end(delim jsontext.Kind) bool {
	tok, err := r.dec.ReadToken()
	if err != nil || tok.Kind() != delim {
		return false
	}
	_, err = r.dec.ReadToken()
	return err == io.EOF
}

// nameIndex returns the index in names of the raw quoted member name, or
// -1. A name without escapes is its bytes; an escaped one is unescaped
// first (any ASCII name spelled with escapes has a \u00XX in it).
func (r *memberReader) nameIndex(raw []byte, names []string) int {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		var err error
		r.name, err = jsontext.AppendUnquote(r.name[:0], raw)
		if err != nil {
			return -1 // invalid UTF-8: not an ASCII name
		}
		inner = r.name
	}
	for i, n := range names {
		if string(inner) == n {
			return i
		}
	}
	return -1
}

// member returns the value of the last top-level member name of the JSON
// object obj, or nil (see members).
func (r *memberReader) member(obj []byte, name string) []byte {
	var v [1][]byte
	r.members(obj, []string{name}, v[:])
	return v[0]
}

// mayHaveMember is the fast negative pre-check for a member name (ASCII)
// at any level of data: false means data has no such member, so the
// exact reader need not run. A name is written either as itself, quoted
// and followed by ':' (spaces allowed), or with a \u escape, and every
// escaped ASCII character starts with \u00. Inside a string value a quote
// is escaped, so a quoted name there does not match. FuzzMemberReader
// checks that a member the exact reader finds is never missed here.
func mayHaveMember(data []byte, quoted string) bool {
	return mayHave(data, quoted, false)
}

// mayHaveObjectMember is mayHaveMember for a member whose value must be
// an object to matter: the quoted name, ':' and '{' (spaces allowed), or
// an escape.
func mayHaveObjectMember(data []byte, quoted string) bool {
	return mayHave(data, quoted, true)
}

func mayHave(data []byte, quoted string, object bool) bool {
	if bytes.Contains(data, []byte(`\u00`)) {
		return true
	}
	for {
		i := bytes.Index(data, []byte(quoted))
		if i < 0 {
			return false
		}
		rest := data[i+len(quoted):]
		j := skipSpace(rest, 0)
		if j < len(rest) && rest[j] == ':' {
			if !object {
				return true
			}
			if j = skipSpace(rest, j+1); j < len(rest) && rest[j] == '{' {
				return true
			}
		}
		data = rest
	}
}
