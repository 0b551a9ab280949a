package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// newReviewFixture is newLimitsFixture with a hand-written upstream.
func newReviewFixture(t *testing.T, capacity string, upstream http.HandlerFunc) *limitsFixture {
	t.Helper()
	return newLimitsFixtureFor(t, capacity, upstream)
}

func (f *limitsFixture) balance() int64 { return f.qm.Balances(nil)[0].BalanceNanos }

// heldBatch holds a batch of concurrent requests at the provider until
// every one of them has been admitted (it reached the provider) or
// refused (the client got its answer without it): each admission then
// decides with the holds of all the others in place, however slow the
// machine. (A fixed upstream delay let the first requests finish, and
// give back their holds, before the last were admitted, so an overspend
// could go unseen.)
type heldBatch struct {
	n       int64
	decided atomic.Int64
	all     chan struct{}
}

func newHeldBatch(n int) *heldBatch { return &heldBatch{n: int64(n), all: make(chan struct{})} }

// decide counts one request decided, releasing the batch with the last.
func (b *heldBatch) decide() {
	if b.decided.Add(1) == b.n {
		close(b.all)
	}
}

// upstream is a provider that answers with h once the batch is decided.
func (b *heldBatch) upstream(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b.decide()
		select {
		case <-b.all:
			h(w, r)
		case <-r.Context().Done():
		}
	}
}

// fire sends the batch's requests at once and returns how many were
// admitted.
func fire(t *testing.T, b *heldBatch, url, body string) int64 {
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range b.n {
		wg.Go(func() {
			res, body := do(t, "POST", url, body)
			switch res.StatusCode {
			case 200:
				ok.Add(1)
			case 429:
				b.decide()
			default:
				b.decide()
				t.Errorf("status %d: %s", res.StatusCode, body)
			}
		})
	}
	wg.Wait()
	return ok.Load()
}

// An Anthropic request that sets max_tokens but enables the server-side web
// search tool, 40 at once against $1: each search is billed per call, so
// the hold must include the searches the tool allows (it did not, and the
// bucket went to -$7.12).
func TestReviewServerToolFeesNotHeld(t *testing.T) {
	batch := newHeldBatch(40)
	f := newReviewFixture(t, "$1.00", batch.upstream(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],`+
			`"stop_reason":"end_turn","usage":{"input_tokens":40000,"output_tokens":200,"server_tool_use":{"web_search_requests":8}}}`)
	}))
	body := `{"model":"claude-sonnet-4-5","max_tokens":1024,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"search the web a lot"}]}`
	admitted := fire(t, batch, f.base+"/v1/messages", body)
	spent := f.spent(t)
	t.Logf("admitted %d, spent $%.4f of $1.00, balance $%.4f", admitted, float64(spent)/1e9, float64(f.balance())/1e9)
	if spent > f.capNs*2 {
		t.Errorf("bucket of $1.00 overspent to $%.2f by requests that all set max_tokens", float64(spent)/1e9)
	}
}

// A Responses request continuing a stored conversation: the provider bills
// the whole stored conversation as input, so the hold must count it, not
// just the 100-byte body.
func TestReviewPreviousResponseInputNotHeld(t *testing.T) {
	batch := newHeldBatch(40)
	f := newReviewFixture(t, "$1.00", batch.upstream(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"resp_x","object":"response","status":"completed","model":"gpt-4o","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]}],`+
			`"usage":{"input_tokens":120000,"output_tokens":16,"total_tokens":120016}}`)
	}))
	body := `{"model":"gpt-4o","max_output_tokens":16,"previous_response_id":"resp_abc","input":"go on"}`
	admitted := fire(t, batch, f.base+"/v1/responses", body)
	spent := f.spent(t)
	t.Logf("admitted %d, spent $%.4f of $1.00", admitted, float64(spent)/1e9)
	if spent > f.capNs*2 {
		t.Errorf("bucket of $1.00 overspent to $%.2f by requests that all set an output limit", float64(spent)/1e9)
	}
}

// Non-streamed requests without an output limit, to a model whose maximum
// is known, are held for that maximum or given a limit they can pay for, so
// concurrency cannot multiply an overspend (they held 4,096 tokens and
// were never lowered).
func TestReviewUnlimitedNonStreamConcurrency(t *testing.T) {
	batch := newHeldBatch(40)
	f := newReviewFixture(t, "$1.00", batch.upstream(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"`+strings.Repeat("x", 100)+`"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":10,"completion_tokens":16000,"total_tokens":16010}}`)
	}))
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"write a lot"}]}`
	admitted := fire(t, batch, f.base+"/v1/chat/completions", body)
	spent := f.spent(t)
	t.Logf("admitted %d, spent $%.4f of $1.00", admitted, float64(spent)/1e9)
	if spent > f.capNs*2 {
		t.Errorf("bucket of $1.00 overspent to $%.2f by concurrent unlimited non-streamed requests", float64(spent)/1e9)
	}
}
