package answers

import (
	"bytes"
	"encoding/json"
	"sort"
)

// object is a JSON object with its members left encoded, so members this
// package does not know pass through untouched.
type object map[string]json.RawMessage

// decodeObject parses b as a JSON object; nil when it is not one.
func decodeObject(b []byte) object {
	var o object
	if json.Unmarshal(b, &o) != nil {
		return nil
	}
	return o
}

// str is member k when it is a string, else "".
func (o object) str(k string) string {
	var s string
	_ = json.Unmarshal(o[k], &s)
	return s
}

// optStr is member k when it is a string; ok is false otherwise.
func (o object) optStr(k string) (s string, ok bool) {
	return s, json.Unmarshal(o[k], &s) == nil && !isNull(o[k])
}

// index is member k when it is an integer.
func (o object) index(k string) (n int, ok bool) {
	return n, json.Unmarshal(o[k], &n) == nil && !isNull(o[k])
}

// obj is member k when it is an object, else nil.
func (o object) obj(k string) object { return decodeObject(o[k]) }

// list is member k when it is an array, else nil.
func (o object) list(k string) []json.RawMessage {
	var l []json.RawMessage
	_ = json.Unmarshal(o[k], &l)
	return l
}

// objects are the object elements of member k, in order.
func (o object) objects(k string) []object {
	var out []object
	for _, e := range o.list(k) {
		if m := decodeObject(e); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// has reports whether member k is present and not null.
func (o object) has(k string) bool { return len(o[k]) > 0 && !isNull(o[k]) }

// clone copies o's member table (the encoded members are shared; they
// are never modified in place).
func (o object) clone() object {
	out := make(object, len(o))
	for k, v := range o {
		out[k] = v
	}
	return out
}

// set stores v, encoded, as member k.
func (o object) set(k string, v any) { o[k] = marshal(v) }

// isNull reports whether b is the JSON literal null.
func isNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }

// marshal encodes v without escaping <, > and & (hook receivers read the
// text; nothing here is embedded in HTML). Encoding values this package
// built from parsed JSON cannot fail; if it ever did, the member would be
// null rather than the whole answer lost.
func marshal(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return json.RawMessage("null")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// jsonValue parses s as the JSON text a model wrote for a tool's
// arguments: the value when s is valid JSON, {} when s is empty (a call
// without arguments), else s itself as a JSON string, so arguments cut
// mid-stream or malformed by the model are still shown.
func jsonValue(s string) json.RawMessage {
	t := bytes.TrimSpace([]byte(s))
	if len(t) == 0 {
		return json.RawMessage("{}")
	}
	if json.Valid(t) {
		var buf bytes.Buffer
		if json.Compact(&buf, t) == nil {
			return buf.Bytes()
		}
	}
	return marshal(s)
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
