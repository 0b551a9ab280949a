package ledger

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

func TestAppendHeaderJSON(t *testing.T) {
	for _, h := range []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}, "Accept": {"a", "b"}, "X-Empty": {}, "X-Nil": nil},
		{"X-Odd": {"<tag> & \"quote\" \\ \x01 é \u2028 \xff"}},
		manyHeaders(40), // more names than sort on the stack
	} {
		want, _ := json.Marshal(h)
		if got := appendHeaderJSON(nil, h); string(got) != string(want) {
			t.Errorf("appendHeaderJSON(%v)\n got  %s\n want %s", h, got, want)
		}
	}
}

// manyHeaders is a header map of n names, two values each.
func manyHeaders(n int) http.Header {
	h := http.Header{}
	for i := range n {
		h[fmt.Sprintf("X-H%02d", n-i)] = []string{fmt.Sprint(i), "v"}
	}
	return h
}

// FuzzAppendHeaderJSON: the encoding is byte-identical to json.Marshal's
// for any names and values, so stored captures decode as before.
func FuzzAppendHeaderJSON(f *testing.F) {
	f.Add("Content-Type", "application/json", "X-Weird", "<\"\\\x00é\xff>")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := http.Header{k1: {v1, v2}, k2: {v2}}
		want, _ := json.Marshal(h)
		if got := appendHeaderJSON(nil, h); string(got) != string(want) {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	})
}
