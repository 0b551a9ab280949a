package ledger

import (
	"encoding/json"
	"net/http"
	"slices"
)

// appendHeaderJSON appends h as json.Marshal would encode it (keys
// sorted, values as string arrays, nil as null), without its reflection:
// every captured request encodes two header maps, and json.Marshal was
// most of the capture's cost in the gateway's profile.
func appendHeaderJSON(b []byte, h http.Header) []byte {
	if h == nil {
		return append(b, "null"...)
	}
	// The names are sorted in place on the stack for the headers of any
	// ordinary request or answer, and b grows once, to the size of the
	// encoding when nothing needs escaping.
	var stack [32]string
	keys := stack[:0]
	size := 2
	for k, vs := range h {
		keys = append(keys, k)
		size += len(k) + 6 // "k":[],
		for _, v := range vs {
			size += len(v) + 3 // "v",
		}
	}
	slices.Sort(keys)
	b = slices.Grow(b, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		vs := h[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, byte-identical to
// json.Marshal: plain printable ASCII is copied, anything json.Marshal
// escapes (quotes, backslashes, control bytes, <, >, &, non-ASCII) goes
// through json.Marshal itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
