package gateway

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// max_tokens and n are each capped at 2^40, and their product must not
// wrap: a review found 2^40 * 2^24 wrapping to 0, so the request held only
// its input and its limit was not lowered, and an OpenAI-compatible
// upstream that clamps rather than refuses such values would then generate
// unpaid output. The hold now saturates (hold.cost).
func TestReviewChoicesTimesLimitOverflows(t *testing.T) {
	var f *limitsFixture
	var held int64
	var sent string
	f = newReviewFixture(t, "$0.01", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sent = string(b)
		held = f.qm.Balances(nil)[0].ReservedNanos
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":10,"completion_tokens":100000,"total_tokens":100010}}`)
	})
	res, body := do(t, "POST", f.base+"/v1/chat/completions",
		`{"model":"gpt-4o","n":16777216,"max_completion_tokens":1099511627776,"messages":[{"role":"user","content":"hi"}]}`)
	t.Logf("status %d, held %d nanodollars, %s=%q, upstream got %s", res.StatusCode, held, OutputLimitHeader, res.Header.Get(OutputLimitHeader), sent)
	if res.StatusCode == 200 && held < 1_000_000 {
		t.Errorf("a request that may cost 2^64 output tokens held $%.6f (the product wrapped to 0)", float64(held)/1e9)
	}
	_ = body
}
