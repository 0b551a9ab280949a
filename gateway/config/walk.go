package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tailscale/hujson"
)

// walker decodes a parsed HuJSON tree field by field, recording a
// Diagnostic with the source position for every problem instead of failing
// on the first one, which is what strict encoding/json decoding would do.
type walker struct {
	lines lineIndex
	diags []Diagnostic
	cfg   *Config  // the config being built, for cross-reference checks
	later []func() // checks that need the whole document, run at the end
}

func (w *walker) add(sev Severity, off int, path, format string, args ...any) {
	line, col := w.lines.position(off)
	w.diags = append(w.diags, Diagnostic{
		Severity: sev,
		Line:     line,
		Column:   col,
		Path:     path,
		Message:  fmt.Sprintf(format, args...),
	})
}

// warn records a Warning located at v.
func (w *walker) warn(v *hujson.Value, path, format string, args ...any) {
	w.add(Warning, v.StartOffset, path, format, args...)
}

// fail records an Error located at v.
func (w *walker) fail(v *hujson.Value, path, format string, args ...any) {
	w.add(Error, v.StartOffset, path, format, args...)
}

// kindName names a value's JSON type for type-mismatch messages.
func kindName(v *hujson.Value) string {
	switch v.Value.Kind() {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// fieldFunc decodes one object member's value found at path.
type fieldFunc func(v *hujson.Value, path string)

// object checks that v is an object and returns it, warning otherwise.
func (w *walker) object(v *hujson.Value, path string) (*hujson.Object, bool) {
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		w.warn(v, path, "must be an object, not %s", kindName(v))
	}
	return obj, ok
}

// array checks that v is an array and returns it, warning otherwise.
func (w *walker) array(v *hujson.Value, path string) (*hujson.Array, bool) {
	arr, ok := v.Value.(*hujson.Array)
	if !ok {
		w.warn(v, path, "must be an array, not %s", kindName(v))
	}
	return arr, ok
}

// members calls fields[name] for every member of obj, warning about
// duplicate keys and about keys fields does not know (suggesting the
// closest known key, so that "basurl" points at "baseurl").
func (w *walker) members(obj *hujson.Object, path string, fields map[string]fieldFunc) {
	seen := make(map[string]bool, len(obj.Members))
	for i := range obj.Members {
		m := &obj.Members[i]
		name := m.Name.Value.(hujson.Literal).String()
		mp := joinPath(path, name)
		if seen[name] {
			w.warn(&m.Name, mp, "duplicate key %q", name)
		}
		seen[name] = true
		f, ok := fields[name]
		if !ok {
			w.warn(&m.Name, mp, "unknown key %q%s", name, suggest(name, fields))
			continue
		}
		if f != nil {
			f(&m.Value, mp)
		}
	}
}

// eachMember calls f for every member of a map-like object (keys are
// user-chosen IDs), warning about duplicate keys.
func (w *walker) eachMember(obj *hujson.Object, path string, f func(name string, v *hujson.Value, path string)) {
	seen := make(map[string]bool, len(obj.Members))
	for i := range obj.Members {
		m := &obj.Members[i]
		name := m.Name.Value.(hujson.Literal).String()
		mp := joinPath(path, name)
		if seen[name] {
			w.warn(&m.Name, mp, "duplicate key %q", name)
		}
		seen[name] = true
		f(name, &m.Value, mp)
	}
}

// str decodes a string value.
func (w *walker) str(v *hujson.Value, path string) (string, bool) {
	lit, ok := v.Value.(hujson.Literal)
	if !ok || lit.Kind() != '"' {
		w.warn(v, path, "must be a string, not %s", kindName(v))
		return "", false
	}
	return lit.String(), true
}

// boolean decodes a boolean value.
func (w *walker) boolean(v *hujson.Value, path string) (bool, bool) {
	lit, ok := v.Value.(hujson.Literal)
	if !ok || (lit.Kind() != 't' && lit.Kind() != 'f') {
		w.warn(v, path, "must be a boolean, not %s", kindName(v))
		return false, false
	}
	return lit.Bool(), true
}

// integer decodes an integral number value.
func (w *walker) integer(v *hujson.Value, path string) (int64, bool) {
	lit, ok := v.Value.(hujson.Literal)
	if !ok || lit.Kind() != '0' {
		w.warn(v, path, "must be an integer, not %s", kindName(v))
		return 0, false
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil {
		w.warn(v, path, "must be an integer, not %s", lit)
		return 0, false
	}
	return n, true
}

// number returns the literal text of a number value, for exact decimal
// parsing without going through float64.
func (w *walker) number(v *hujson.Value, path string) (string, bool) {
	lit, ok := v.Value.(hujson.Literal)
	if !ok || lit.Kind() != '0' {
		w.warn(v, path, "must be a number, not %s", kindName(v))
		return "", false
	}
	return string(lit), true
}

// strings decodes an array of strings, skipping (and warning about)
// non-string elements.
func (w *walker) strings(v *hujson.Value, path string) ([]string, bool) {
	arr, ok := w.array(v, path)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(arr.Elements))
	for i := range arr.Elements {
		if s, ok := w.str(&arr.Elements[i], indexPath(path, i)); ok {
			out = append(out, s)
		}
	}
	return out, true
}

// toJSON renders a HuJSON value as compact standard JSON (no comments, no
// trailing commas) without mutating the tree, which aliases the source.
func toJSON(v *hujson.Value) json.RawMessage {
	var buf bytes.Buffer
	appendJSON(&buf, v)
	return buf.Bytes()
}

func appendJSON(buf *bytes.Buffer, v *hujson.Value) {
	switch t := v.Value.(type) {
	case hujson.Literal:
		buf.Write(t)
	case *hujson.Object:
		buf.WriteByte('{')
		for i := range t.Members {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendJSON(buf, &t.Members[i].Name)
			buf.WriteByte(':')
			appendJSON(buf, &t.Members[i].Value)
		}
		buf.WriteByte('}')
	case *hujson.Array:
		buf.WriteByte('[')
		for i := range t.Elements {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendJSON(buf, &t.Elements[i])
		}
		buf.WriteByte(']')
	default:
		buf.WriteString("null")
	}
}

// memberNamed returns the first member of obj called name, or nil.
func memberNamed(obj *hujson.Object, name string) *hujson.ObjectMember {
	for i := range obj.Members {
		if obj.Members[i].Name.Value.(hujson.Literal).String() == name {
			return &obj.Members[i]
		}
	}
	return nil
}

// joinPath appends a key to a dotted diagnostic path. Keys that contain
// dots or slashes (capability names) are quoted in brackets.
func joinPath(path, key string) string {
	if strings.ContainsAny(key, "./[]\" ") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends an array index to a diagnostic path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// suggest returns `; did you mean "x"?` when a known key is within a small
// edit distance of name, else "".
func suggest(name string, fields map[string]fieldFunc) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best, bestD := "", 3
	for _, k := range keys {
		if d := editDistance(strings.ToLower(name), k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30 // not worth suggesting; also bounds the work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
