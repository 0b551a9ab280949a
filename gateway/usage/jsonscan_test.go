package usage

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

func scanAll(keys []string, max int, chunks ...string) (got []string, done bool) {
	s := jsonScanner{keys: keys, max: max, onValue: func(k string, v []byte) {
		got = append(got, k+"="+string(v))
	}}
	for _, c := range chunks {
		s.Write([]byte(c))
	}
	return got, s.done
}

func TestJSONScanner(t *testing.T) {
	keys := []string{"usage", "usageMetadata"}
	tests := []struct {
		name     string
		in       string
		want     []string
		wantDone bool
	}{
		{"top-level only", `{"a":{"usage":{"x":1}},"usage":{"y":2}}`, []string{`usage={"y":2}`}, true},
		{"scalar values", `{"usage":null,"usageMetadata":12}`, []string{"usage=null", "usageMetadata=12"}, true},
		{"key in string value", `{"k":"\"usage\":{}","usage":[1,{"a":"]}"}]}`, []string{`usage=[1,{"a":"]}"}]`}, true},
		{"escaped name", `{"\u0075sage":{"a":1},"usag\u0065Metadata":2}`, []string{`usage={"a":1}`, "usageMetadata=2"}, true},
		{"escaped quote in key", `{"us\"age":{"no":1},"usage":{}}`, []string{"usage={}"}, true},
		{"long key", `{"` + string(make([]byte, 0)) + `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":1,"usage":{}}`, []string{"usage={}"}, true},
		{"whitespace kept inside value", "{ \"usage\" : { \"a\" : 1 } }", []string{`usage={ "a" : 1 }`}, true},
		{"array elements", `[{"a":1}, {"b":[2]} ,"s"]`, []string{`={"a":1}`, `={"b":[2]}`, `="s"`}, true},
		{"unterminated", `{"usage":{"a":1}`, []string{`usage={"a":1}`}, false},
		{"value over limit skipped", `{"usage":{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":1},"usageMetadata":{}}`, []string{"usageMetadata={}"}, true},
		{"top-level scalar", `"usage"`, nil, false},
		{"stray closer", `}{"usage":{}}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				got, done := scanAll(keys, 64, tt.in[:i], tt.in[i:])
				if !slices.Equal(got, tt.want) || done != tt.wantDone {
					t.Fatalf("split at %d: got %q done=%v, want %q done=%v", i, got, done, tt.want, tt.wantDone)
				}
			}
		})
	}
}

// FuzzJSONScanner: on a valid JSON object, split anywhere, the scanner
// captures the wanted top-level members encoding/json decodes, the last of
// a repeated one last.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{
		`{"usage":{"a":1},"x":{"usage":{"fake":1}},"s":"\"usage\":{}"}`,
		`{"\u0075sage":{"a":1},"usage":null,"us\u0061geMetadata":[1]}`,
		`{"usage":1,"usage":{"b":"}"}}`,
		" { \"usage\" : { \"a\" : 1 } , \"usageMetadata\" : \"x\" } ",
		`{"\u0075\u0073\u0061\u0067\u0065\u004d\u0065\u0074\u0061\u0064\u0061\u0074\u0061":{}}`,
		`{"usage":{"a":1}`,
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	keys := []string{"usage", "usageMetadata"}
	f.Fuzz(func(t *testing.T, doc []byte, split uint16) {
		var m map[string]json.RawMessage
		if json.Unmarshal(doc, &m) != nil || m == nil {
			return
		}
		at := int(split) % (len(doc) + 1)
		last := map[string]string{}
		s := jsonScanner{keys: keys, max: len(doc) + 1, onValue: func(k string, v []byte) {
			last[k] = string(bytes.TrimRight(v, " \t\r\n"))
		}}
		s.Write(doc[:at])
		s.Write(doc[at:])
		if !s.done {
			t.Fatalf("%q: a valid document did not end", doc)
		}
		for _, k := range keys {
			want, ok := m[k]
			if got, found := last[k]; found != ok || got != string(want) {
				t.Fatalf("%q: %s = %q (%v), encoding/json %q (%v)", doc, k, got, found, want, ok)
			}
		}
	})
}
