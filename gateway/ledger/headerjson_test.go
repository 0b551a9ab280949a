package ledger

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/tsplug/ts-plug/gateway/apis"
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

// fuzzHeaderNames are names a fuzzed header map draws from, besides
// arbitrary bytes: spellings of one name that RedactHeaders joins,
// credential headers, names that say they hold a secret (…token, but not
// the …tokens… of rate limits), and names that are not tokens at all.
var fuzzHeaderNames = []string{
	"Authorization", "authorization", "AUTHORIZATION", "X-Api-Key", "x-api-key", "X-API-KEY",
	"x-goog-api-key", "X-Goog-Api-Key", "Proxy-Authorization", "Cookie", "Set-Cookie", "set-cookie",
	"X-Auth-Token", "x-session-token", "X-Ratelimit-Remaining-Tokens", "Content-Type", "content-type",
	"User-Agent", "X-Custom", "x-custom", "X-CUSTOM", "X Bad", "x bad", "X-\u212Aey", "Ünï-token", "",
}

// headerFromFuzz builds a header map from data: each entry takes a byte
// for its name (one of fuzzHeaderNames, or the bytes that follow), a byte
// for its values (a nil slice, an empty one, or one to three), and each
// value the bytes that follow, whatever they are.
func headerFromFuzz(data []byte) http.Header {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		c := data[0]
		data = data[1:]
		return c
	}
	chunk := func() string {
		n := min(int(next()%24), len(data))
		s := string(data[:n])
		data = data[n:]
		return s
	}
	h := http.Header{}
	for len(data) > 0 {
		op := int(next())
		name := ""
		if op%64 < len(fuzzHeaderNames) {
			name = fuzzHeaderNames[op%64]
		} else {
			name = chunk()
		}
		switch n := next() % 5; n {
		case 0:
			h[name] = nil
		case 1:
			h[name] = []string{}
		default:
			vs := make([]string, n-1)
			for i := range vs {
				vs[i] = chunk()
			}
			h[name] = vs
		}
	}
	return h
}

// FuzzRedactedHeaderJSON: a capture's headers, encoded from the live
// map, are byte for byte what encoding apis.RedactHeaders' copy stored
// (canonical names, two spellings joined in RedactHeaders' order, secret
// values redacted, names sorted, null for no values), and the request's
// and the answer's encodings sub-sliced from one buffer are too.
func FuzzRedactedHeaderJSON(f *testing.F) {
	f.Add([]byte("\x00\x02Bearer sk-live\x01\x03\x04sk-a\x05sk-b\x10\x02\x10application/json"))
	f.Add([]byte("\x13\x03\x01a\x01b\x14\x02\x01c\x15\x01\x13\x00"))                              // X-Custom, x-custom, X-CUSTOM
	f.Add([]byte("\x30\x07X-Token\x03\x03\xc3\xa9\x01\x02\x00\n\x16\x02\x03<&>"))                 // raw name, non-ASCII and control bytes
	f.Add([]byte("\x19\x02\x02ok\x17\x03\x01v\x01w\x18\x01\x04\x04\x05\x00\x0e\x02\x02\x02\x02")) // not tokens; nil and empty values
	f.Fuzz(func(t *testing.T, data []byte) {
		h := headerFromFuzz(data)
		want := appendHeaderJSON(nil, apis.RedactHeaders(h))
		if got := appendRedactedHeaderJSON(nil, apis.AppendRedactedHeaders(nil, h)); string(got) != string(want) {
			t.Fatalf("headers %q:\n got  %s\n want %s", h, got, want)
		}
		c := NewCapture(h, nil)
		c.SetResponseHeaders(h)
		req, resp := c.headerJSON()
		if string(req) != string(want) || string(resp) != string(want) {
			t.Fatalf("headers %q: capture encodes\n %s\n %s\nwant %s", h, req, resp, want)
		}
	})
}

// TestRedactedHeaderJSON: the cases the fuzz target starts from, spelled
// out, against the bytes captures stored.
func TestRedactedHeaderJSON(t *testing.T) {
	for _, h := range []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}, "Authorization": {"Bearer sk-live"}, "x-api-key": {"sk-a", "sk-b"}},
		{"X-Custom": {"a", "b"}, "x-custom": {"c"}, "X-CUSTOM": nil, "x-Custom": {}},
		{"x-api-key": {}, "X-Api-Key": nil, "X-Empty": {}, "X-Nil": nil},
		{"X-Odd": {"<tag> & \"quote\" \\ \x01 é \u2028 \xff"}, "X bad": {"v"}, "x bad": {"w"}},
		manyHeaders(40), // more names than the stack holds
	} {
		want := appendHeaderJSON(nil, apis.RedactHeaders(h))
		if got := appendRedactedHeaderJSON(nil, apis.AppendRedactedHeaders(nil, h)); string(got) != string(want) {
			t.Errorf("headers %q:\n got  %s\n want %s", h, got, want)
		}
	}
}
