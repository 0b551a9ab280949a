//go:build !race

// The race detector adds allocations, so allocation counts are checked
// without it.

package ledger

import (
	"net/http"
	"testing"
)

// TestEncodeCaptureAllocates: a small capture, encoded for every request
// that keeps one, takes its column slice, one buffer per header map and
// the boxing of its four byte columns: the header encoding grows its
// buffer once and sorts names on the stack (it took 17 allocations).
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
	if n > 7 {
		t.Errorf("encodeCapture: %v allocations, want at most 7", n)
	}
}
