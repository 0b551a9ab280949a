package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// An unlimited chat stream whose upstream sends many small events in one
// burst (one TCP write, as a fast provider or a proxy's buffer does): the
// stream is ended just past the event in which its budget ran out, not at
// the end of the read (found by review: it used to deliver the whole read).
func TestReviewStreamCutOverspendsByAReadBuffer(t *testing.T) {
	const events = 1000
	content := strings.Repeat("abcd", 25) // 100 bytes: 25 tokens by the estimate
	f := newReviewFixture(t, "$0.0411", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		var b strings.Builder
		for i := range events {
			fmt.Fprintf(&b, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}],\"n\":%d}\n\n", content, i)
		}
		w.Write([]byte(b.String()))
		w.(http.Flusher).Flush()
		// The provider keeps the stream open: the gateway must end it
		// within the burst (and hang up), not wait for the usage below.
		select {
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Second):
		}
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":%d}}\n\ndata: [DONE]\n\n", events*25)
	})
	res, body := do(t, "POST", f.base+"/v1/chat/completions", `{"model":"local-llm","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	got := strings.Count(body, content)
	cut := strings.Contains(body, `"error"`)
	spent := f.spent(t)
	t.Logf("cut %v after %d content events (~%d tokens); the $0.0411 bucket pays ~%d output tokens; balance $%.5f",
		cut, got, got*25, 4096, float64(f.balance())/1e9)
	// The client gets at most one 25-token event past the ~4,096 tokens
	// paid; the rest of the read the provider had already sent is
	// charged, as the provider bills it: at most one 32 KiB read,
	// ~8,192 tokens, $0.082 at $10/M.
	if got*25 > 4096+2*25 {
		t.Errorf("delivered %d tokens, more than one event past the ~4,096 paid", got*25)
	}
	if f.balance() < -82_000_000 {
		t.Errorf("bucket overspent by $%.5f, more than one read's worth", -float64(f.balance())/1e9)
	}
	_ = spent
}
