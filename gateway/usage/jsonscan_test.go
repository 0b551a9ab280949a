package usage

import (
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
