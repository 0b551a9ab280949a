package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// gemma-local is priced ($2.5/M in, $10/M out, from the test config) but has no known maximum
// output (modelinfo), so a request without maxOutputTokens takes the
// stream-budget path.
func newGemmaFixture(t *testing.T, capacity string, upstream http.HandlerFunc) *limitsFixture {
	t.Helper()
	return newLimitsFixtureFor(t, capacity, upstream)
}

// As TestReviewGeminiArrayCutBeforeFirstElement, on a model whose maximum
// output is unknown, so the stream budget is what ends it.
func TestReviewGemmaArrayCutIsJSON(t *testing.T) {
	text := strings.Repeat("lorem ipsum dolor sit amet ", 2000) // 54 KB
	f := newGemmaFixture(t, "$0.0411", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"candidates":[{"content":{"role":"model","parts":[{"text":%q}]}}]}`, text)
		fmt.Fprint(w, `,{"candidates":[{"content":{"role":"model","parts":[{"text":"."}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":14000,"totalTokenCount":14005}}]`)
	})
	res, body := do(t, "POST", f.base+"/v1beta/models/gemma-local:streamGenerateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	f.spent(t)
	t.Logf("status %d, %d bytes, starts %q, balance $%.6f", res.StatusCode, len(body), body[:min(len(body), 60)], float64(f.balance())/1e9)
	var v []json.RawMessage
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Errorf("not valid JSON (%v): %q", err, body[:min(len(body), 200)])
	}
}

// Many small SSE events in one burst on the stream-budget path: the client
// gets at most one event past what was paid, and the bucket is charged at
// most one read past it.
func TestReviewGemmaSSEBurstOverspend(t *testing.T) {
	const events = 1000
	content := strings.Repeat("abcd", 25) // 25 tokens by the estimate
	f := newGemmaFixture(t, "$0.0411", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		var b strings.Builder
		for range events {
			fmt.Fprintf(&b, "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":%q}]}}]}\r\n\r\n", content)
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
		fmt.Fprintf(w, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\".\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":%d}}\r\n\r\n", events*25)
	})
	res, body := do(t, "POST", f.base+"/v1beta/models/gemma-local:streamGenerateContent?alt=sse", `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	f.spent(t)
	got := strings.Count(body, content)
	t.Logf("cut %v after %d events (~%d tokens); row output %d (estimated %v); balance $%.6f", strings.Contains(body, `"error"`), got, got*25,
		f.sink.last().Usage.OutputTokens, f.sink.last().Usage.Estimated, float64(f.balance())/1e9)
	// The client gets at most one event past what the bucket paid; what
	// the provider had already sent in the same read is charged as well,
	// as the provider bills it: at most one 32 KiB read, ~8,192 tokens.
	if paid := int64(4096 + 25); int64(got*25) > paid+25 {
		t.Errorf("delivered %d tokens, more than one event past the %d paid", got*25, paid)
	}
	if f.balance() < -8192*10_000 {
		t.Errorf("overspent by $%.6f (%d tokens), more than one read", -float64(f.balance())/1e9, -f.balance()/10_000)
	}
}
