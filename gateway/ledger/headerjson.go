package ledger

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/tsplug/ts-plug/gateway/apis"
)

// appendHeaderJSON appends h as json.Marshal would encode it (keys
// sorted, values as string arrays, nil as null), without its reflection:
// json.Marshal was most of the capture's cost in the gateway's profile.
// A capture's headers given as they are to be stored (a Capture built
// by hand) are encoded with it; the gateway's, live and unredacted, with
// appendRedactedHeaderJSON, which encodes byte for byte what this does
// for apis.RedactHeaders' copy of them.
func appendHeaderJSON(b []byte, h http.Header) []byte {
	if h == nil {
		return append(b, "null"...)
	}
	// The names are sorted in place on the stack for the headers of any
	// ordinary request or answer, and b grows once, to the size of the
	// encoding when nothing needs escaping.
	var stack [32]string
	keys := stack[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = slices.Grow(b, headerJSONSize(h))
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

// headerJSONSize is the size of h's encoding when nothing needs escaping.
func headerJSONSize(h http.Header) int {
	size := 2
	for k, vs := range h {
		size += len(k) + 6 // "k":[],
		for _, v := range vs {
			size += len(v) + 3 // "v",
		}
	}
	return size
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

// redactedHeaderJSONSize is the size of es' encoding when nothing needs
// escaping, the room appendRedactedHeaderJSON is given: 2 for the braces,
// and per name and value its quotes and separator, as appendHeaderJSON
// counts them.
func redactedHeaderJSONSize(es []apis.RedactedHeader) int {
	size := 2
	for i, e := range es {
		if i == 0 || es[i-1].Name != e.Name {
			size += len(e.Name) + 6 // "k":[],
		}
		for _, v := range e.Values {
			size += len(v) + 3 // "v",
		}
	}
	return size
}

// appendRedactedHeaderJSON appends the header map es lists
// (apis.AppendRedactedHeaders) as appendHeaderJSON encodes
// apis.RedactHeaders of it, byte for byte: names in order, the values of
// two spellings of one name in one array, null for a name without
// values. A capture encodes its headers this way, from the live maps,
// instead of building a redacted copy of each only to encode it.
func appendRedactedHeaderJSON(b []byte, es []apis.RedactedHeader) []byte {
	b = append(b, '{')
	for i := 0; i < len(es); {
		name := es[i].Name
		n, j := 0, i
		for ; j < len(es) && es[j].Name == name; j++ {
			n += len(es[j].Values)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		if n == 0 {
			b = append(b, ":null"...)
			i = j
			continue
		}
		b = append(b, ":["...)
		first := true
		for ; i < j; i++ {
			for _, v := range es[i].Values {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = appendJSONString(b, v)
			}
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
