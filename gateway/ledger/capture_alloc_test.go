//go:build !race

// The race detector adds allocations, so allocation counts are checked
// without it.

package ledger

import (
	"net/http"
	"testing"
)

// TestEncodeCaptureAllocates: a small capture, encoded for every request
// that keeps one, takes its column slice, one buffer for both header
// maps and the boxing of its four byte columns: the header encoding
// sizes its buffer once and sorts names on the stack (it took 17
// allocations, then 7 with a buffer per header map).
func TestEncodeCaptureAllocates(t *testing.T) {
	c := &Capture{
		RequestHeaders: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"cli/1"},
			"Accept": {"application/json"}, "Authorization": {"REDACTED"}, "X-Stainless-Lang": {"js"}},
		ResponseHeaders: http.Header{"Content-Type": {"application/json"}, "Date": {"Mon, 07 Dec 2026 04:00:00 GMT"},
			"X-Request-Id": {"req_123"}, "Openai-Processing-Ms": {"12"}, "X-Ratelimit-Remaining-Tokens": {"5"}},
		RequestBody:  []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`),
		ResponseBody: []byte(`{"id":"chatcmpl-1","choices":[{"message":{"content":"hello"}}]}`),
	}
	n := testing.AllocsPerRun(100, func() {
		if _, err := encodeCapture(c, "req-000001", int64(1796620000000000000)); err != nil { // as the writer calls it
			t.Fatal(err)
		}
	})
	t.Logf("encodeCapture: %v allocations", n)
	if n > 6 {
		t.Errorf("encodeCapture: %v allocations, want at most 6", n)
	}
}

// TestCaptureAllocates: a typical captured request, from NewCapture to
// its encoded columns, as the gateway builds it (the request's headers,
// one of them a key, and the answer's, as the maps net/http hands it)
// and the ledger encodes it. It takes the Capture (with its live
// headers), the column slice, one buffer for both headers' JSON, encoded
// redacted from the live maps, and four boxed columns: 7. Building a
// redacted copy of each map (apis.RedactHeaders) and encoding each into
// its own buffer took 14.
func TestCaptureAllocates(t *testing.T) {
	req := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"OpenAI/Python 1.50.0"},
		"Accept": {"application/json"}, "Authorization": {"Bearer sk-proj-secret"}, "X-Stainless-Lang": {"python"},
		"X-Stainless-Os": {"Linux"}, "Content-Length": {"64"}, "Accept-Encoding": {"gzip, deflate"}}
	resp := http.Header{"Content-Type": {"application/json"}, "Date": {"Mon, 07 Dec 2026 04:00:00 GMT"},
		"X-Request-Id": {"req_123"}, "Openai-Processing-Ms": {"12"}, "X-Ratelimit-Remaining-Tokens": {"5"},
		"Openai-Version": {"2020-10-01"}, "Cf-Ray": {"8f1e2d3c4b5a6978-AMS"}}
	body := []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`)
	answer := []byte(`{"id":"chatcmpl-1","choices":[{"message":{"content":"hello"}}]}`)
	n := testing.AllocsPerRun(200, func() {
		c := NewCapture(req, body)
		c.SetResponseHeaders(resp)
		c.ResponseBody = answer
		if _, err := encodeCapture(c, "req-000001", int64(1796620000000000000)); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("capturing a request: %v allocations", n)
	if n > 7 {
		t.Errorf("capturing a request: %v allocations, want at most 7", n)
	}
}
