package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// limitsConfig serves every API from one fake, all charged to one bucket.
const limitsConfig = `{
  "providers": {
    "anthropic": {"baseurl": %[1]q, "apikey": "k", "models": ["claude-sonnet-4-5"], "authorization": "x-api-key",
      "cost_basis": "anthropic", "compatibility": {"anthropic_messages": true}},
    "openai": {"baseurl": "%[1]s/v1", "apikey": "k", "models": ["gpt-4o", "local-llm"], "cost_basis": "openai",
      "pricing": {"local-llm": {"input": 2.5, "output": 10}},
      "compatibility": {"openai_chat": true, "openai_responses": true}},
    "gemini": {"baseurl": %[1]q, "apikey": "k", "models": ["gemini-2.5-pro", "gemma-local"], "authorization": "x-goog-api-key",
      "cost_basis": "gemini", "pricing": {"gemma-local": {"input": 2.5, "output": 10}},
      "compatibility": {"gemini_generate_content": true}},
  },
  "quotas": {"team": {"capacity": %[2]q, "rate": "$0.000001/month", "on_exceed": "reject"}},
  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**", "quotas": [{"bucket": "team"}]}]}}],
}`

type limitsFixture struct {
	fake  *fakellm.Server
	qm    *quotas.Manager
	sink  *recordingSink
	base  string
	capNs int64
}

func newLimitsFixture(t *testing.T, capacity string, opts ...fakellm.Option) *limitsFixture {
	t.Helper()
	// The fake stops at the output limit it is sent, as providers do.
	fake := fakellm.New(append([]fakellm.Option{fakellm.WithOutputLimits()}, opts...)...)
	f := newLimitsFixtureFor(t, capacity, fake.Handler())
	f.fake = fake
	return f
}

// newLimitsFixtureFor is newLimitsFixture with upstream as every provider.
func newLimitsFixtureFor(t *testing.T, capacity string, upstream http.Handler) *limitsFixture {
	t.Helper()
	return newLimitsFixtureLogged(t, capacity, upstream, func(string, ...any) {})
}

// newLimitsFixtureLogged is newLimitsFixtureFor with the gateway logging
// to logf.
func newLimitsFixtureLogged(t *testing.T, capacity string, upstream http.Handler, logf func(string, ...any)) *limitsFixture {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	src := fmt.Sprintf(limitsConfig, up.URL, capacity)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	qm, err := quotas.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordingSink{}
	gw, err := New(cfg, []byte(src), Options{Ledger: sink, Quotas: qm, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(front.Close)
	c, _ := config.ParseDollars(capacity)
	return &limitsFixture{qm: qm, sink: sink, base: front.URL, capNs: c}
}

// spent is what the bucket was charged, checked against the ledger: every
// nanodollar the bucket lost is on some row, and no more.
func (f *limitsFixture) spent(t *testing.T) int64 {
	t.Helper()
	var ledger int64
	f.sink.mu.Lock()
	for _, r := range f.sink.recs {
		ledger += r.CostNanos
	}
	f.sink.mu.Unlock()
	b := f.qm.Balances(nil)
	if len(b) != 1 || b[0].ReservedNanos != 0 {
		t.Fatalf("balances after all requests ended: %+v", b)
	}
	if got := f.capNs - b[0].BalanceNanos; got != ledger {
		t.Errorf("bucket spent %d nanodollars, the ledger says %d", got, ledger)
	}
	return ledger
}

// limitRequest is one API's request with a 64,000-token output limit (or
// none), as coding agents send them.
type limitRequest struct {
	name, path string
	body       func(stream bool) string
}

var limitRequests = []limitRequest{
	{"anthropic", "/v1/messages", func(stream bool) string {
		return fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":64000,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)
	}},
	{"chat", "/v1/chat/completions", func(stream bool) string {
		return fmt.Sprintf(`{"model":"gpt-4o","max_completion_tokens":64000,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)
	}},
	{"responses", "/v1/responses", func(stream bool) string {
		return fmt.Sprintf(`{"model":"gpt-4o","max_output_tokens":64000,"stream":%v,"input":"hi"}`, stream)
	}},
	{"gemini", "/v1beta/models/gemini-2.5-pro:generateContent", func(bool) string {
		return `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":64000}}`
	}},
}

func (r limitRequest) url(base string, stream bool) string {
	if r.name == "gemini" && stream {
		return base + strings.Replace(r.path, ":generateContent", ":streamGenerateContent?alt=sse", 1)
	}
	return base + r.path
}

// Forty slow requests at once, each allowed 64,000 output tokens and
// really using 40,000 (a provider never exceeds the limit it is sent),
// against a $1 bucket: the bucket is never overspent, what it lost is on
// the ledger, and more than one request is served.
func TestSpendingLimitHoldsUnderConcurrency(t *testing.T) {
	for _, req := range limitRequests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", req.name, stream), func(t *testing.T) {
				f := newLimitsFixture(t, "$1.00", fakellm.WithLatency(300*time.Millisecond),
					fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 40000}))
				var wg sync.WaitGroup
				var admitted, lowered atomic.Int64
				for range 40 {
					wg.Go(func() {
						res, body := do(t, "POST", req.url(f.base, stream), req.body(stream))
						switch res.StatusCode {
						case 200:
							admitted.Add(1)
							if res.Header.Get(OutputLimitHeader) != "" {
								lowered.Add(1)
							}
						case 429:
						default:
							t.Errorf("status %d: %s", res.StatusCode, body)
						}
					})
				}
				wg.Wait()
				spent := f.spent(t)
				if spent > f.capNs {
					t.Errorf("spent $%.4f of a $1.00 bucket", float64(spent)/1e9)
				}
				if admitted.Load() < 2 {
					t.Errorf("admitted %d: a request that cannot be paid in full should take a share and leave room", admitted.Load())
				}
				t.Logf("admitted %d (%d with a lowered limit), spent $%.4f", admitted.Load(), lowered.Load(), float64(spent)/1e9)
			})
		}
	}
}

// The limit the gateway lowers is the one the provider reads, and the
// client is told.
func TestLoweredOutputLimitReachesProvider(t *testing.T) {
	f := newLimitsFixture(t, "$0.10")
	res, body := do(t, "POST", f.base+"/v1/messages", limitRequests[0].body(false))
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	got := res.Header.Get(OutputLimitHeader)
	last, _ := f.fake.LastRequest()
	// $0.10 of a bucket that cannot pay $0.96: half of it, at $15/M
	// output, less the input (its 125 bytes count as 32 tokens): 3,327.
	if got != "3327" || !strings.Contains(string(last.Body), `"max_tokens":3327`) {
		t.Errorf("header %q, provider got %s", got, last.Body)
	}
}

// A stream to a model whose maximum output is unknown, setting no output
// limit, is metered as it passes, draws more from its bucket as it grows,
// and is ended in its API's format when the bucket cannot pay: overspend is
// at most about one event.
func TestUnlimitedStreamIsEndedWhenTheBucketRunsOut(t *testing.T) {
	for _, tc := range []struct{ name, path, body, errorMark string }{
		{"chat", "/v1/chat/completions", `{"model":"local-llm","stream":true,"messages":[{"role":"user","content":"hi"}]}`, `data: {"error":{`},
		{"responses", "/v1/responses", `{"model":"local-llm","stream":true,"input":"hi"}`, "event: error\n"},
		{"gemini", "/v1beta/models/gemma-local:streamGenerateContent?alt=sse", `{"contents":[{"parts":[{"text":"hi"}]}]}`, `data: {"error":{"code":429`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// 800 KB of text is about 200,000 tokens: $2 at $10/M,
			// far over the $0.30 bucket.
			f := newLimitsFixture(t, "$0.30", fakellm.WithBodySize(800_000),
				fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 200_000}))
			res, body := do(t, "POST", f.base+tc.path, tc.body)
			if res.StatusCode != 200 {
				t.Fatalf("%d %s", res.StatusCode, body[:min(len(body), 300)])
			}
			i := strings.Index(body, tc.errorMark)
			if i < 0 || !strings.Contains(body[i:], "quota") {
				t.Fatalf("stream not ended with a quota error; its end: %q", body[max(0, len(body)-300):])
			}
			if !strings.HasSuffix(body, "\n\n") || strings.Count(body[i:], "\n\n") != 1 {
				t.Errorf("the error is not the last whole event: %q", body[i:])
			}
			spent := f.spent(t)
			// One event of the fake is a 16 KiB delta, ~4,100 tokens:
			// $0.041 at $10/M.
			if over := spent - f.capNs; over > 50_000_000 {
				t.Errorf("overspent by $%.4f", float64(over)/1e9)
			}
			rec := f.sink.last()
			if !rec.Interrupted || !rec.Usage.Estimated || !strings.Contains(rec.Error, "quota") {
				t.Errorf("row: interrupted %v estimated %v error %q", rec.Interrupted, rec.Usage.Estimated, rec.Error)
			}
		})
	}
}

// A client that cuts an Anthropic stream near its end (Esc in Claude
// Code) is charged for what it was sent, not one token.
func TestCutStreamIsBilledForWhatWasDelivered(t *testing.T) {
	f := newLimitsFixture(t, "$10.00", fakellm.WithBodySize(40_000), fakellm.WithPacing(5*time.Millisecond),
		fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 10_000}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", f.base+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":64000,"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(res.Body)
	var read int
	for read < 20_000 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		read += len(line)
	}
	cancel()
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if f.sink.last() == nil {
			return fmt.Errorf("no row for the cut stream")
		}
		return nil
	})
	rec := f.sink.last()
	// 20 KB of text is about 5,000 tokens.
	if rec.Usage.OutputTokens < 4000 || !rec.Usage.Estimated || !rec.Interrupted {
		t.Errorf("cut stream recorded as %+v, interrupted %v", rec.Usage, rec.Interrupted)
	}
	f.spent(t)
}

// Counting tokens and reading a stored response hold and charge nothing.
func TestNoChargeForCountingOrReading(t *testing.T) {
	f := newLimitsFixture(t, "$1.00", fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 1000}))
	res, body := do(t, "POST", f.base+"/v1/responses", `{"model":"gpt-4o","input":"hi"}`)
	if res.StatusCode != 200 {
		t.Fatal(res.StatusCode, body)
	}
	created := f.spent(t)
	id := body[strings.Index(body, `"id":"`)+6:]
	id = id[:strings.IndexByte(id, '"')]
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/responses/" + id, ""},
		{"POST", "/v1/messages/count_tokens", `{"model":"claude-sonnet-4-5","max_tokens":64000,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		res, body := do(t, c.method, f.base+c.path, c.body)
		if res.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, res.StatusCode, body)
		}
		if got := f.spent(t); got != created {
			t.Errorf("%s %s charged %d nanodollars", c.method, c.path, got-created)
		}
	}
}

// Bodies that parsers read differently, or that let the provider run
// other models, are refused in the caller's dialect before any money is
// held.
func TestAmbiguousBodiesAreRefused(t *testing.T) {
	f := newLimitsFixture(t, "$1.00")
	for _, c := range []struct{ path, body, want string }{
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"max_tok\u0065ns":64000,"messages":[]}`, "appears more than once"},
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"Max_Tokens":64000,"messages":[]}`, "only in case"},
		{"/v1/chat/completions", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"stream_options":{"include_usage":false},"messages":[]}`, "appears more than once"},
		{"/v1/chat/completions", `{"model":"gpt-4o","models":["gpt-4o","o3-pro"],"messages":[]}`, "single"},
		{"/v1/chat/completions", `{"model":"gpt-4o","max_tokens":"64000","messages":[]}`, "whole number"},
		{"/v1beta/models/gemini-2.5-pro:generateContent", `{"generationConfig":{"maxOutputTokens":10,"max_output_tokens":64000}}`, "more than once"},
	} {
		res, body := do(t, "POST", f.base+c.path, c.body)
		if res.StatusCode != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %s", c.path, c.body, res.StatusCode, body)
		}
	}
	if n := f.fake.RequestCount(); n != 0 {
		t.Errorf("%d refused requests reached the provider", n)
	}
}

// What the price table cannot price is named on the row, and the rest is
// still charged.
func TestUnpricedPartIsNamedAndTheRestCharged(t *testing.T) {
	sink := &recordingSink{}
	_, base := localGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],
			"model":"claude-sonnet-4-5","stop_reason":"end_turn",
			"usage":{"input_tokens":1000,"output_tokens":100,"service_tier":"priority"}}`)
	}), strings.Replace(anthropicOnly, `"authorization":"x-api-key",`, `"authorization":"x-api-key","cost_basis":"anthropic",`, 1),
		Options{Ledger: sink})
	res, body := do(t, "POST", base+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[]}`)
	if res.StatusCode != 200 {
		t.Fatal(res.StatusCode, body)
	}
	rec := sink.last()
	// 1000 × $3/M + 100 × $15/M at the standard rate.
	if rec.Unpriced != "service_tier:priority" || !rec.CostKnown || rec.CostNanos != 4_500_000 {
		t.Errorf("row: unpriced %q, cost %d (known %v)", rec.Unpriced, rec.CostNanos, rec.CostKnown)
	}
}

// A request that sets no output limit, to a model whose maximum is known,
// is held for that maximum, or gets a limit it can pay for: concurrent
// non-streamed requests cannot overspend either.
func TestUnlimitedRequestsAreHeldForTheModelsMaximum(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			// Each really uses 16,000 tokens ($0.16 at gpt-4o's $10/M),
			// near gpt-4o's 16,384-token maximum, or less when the
			// provider is sent a lower limit.
			f := newLimitsFixture(t, "$1.00", fakellm.WithLatency(300*time.Millisecond),
				fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 16000}))
			var wg sync.WaitGroup
			for range 30 {
				wg.Go(func() {
					do(t, "POST", f.base+"/v1/chat/completions",
						fmt.Sprintf(`{"model":"gpt-4o","stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream))
				})
			}
			wg.Wait()
			if spent := f.spent(t); spent > f.capNs {
				t.Errorf("spent $%.4f of $1.00", float64(spent)/1e9)
			}
		})
	}
}
