//go:build !race

// The race detector adds allocations and drops sync.Pool items at random,
// so allocation counts are checked without it.

package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// cannedTransport answers every upstream request from memory, so that
// counting a request's allocations counts the gateway's, not a provider's
// or a socket's.
type cannedTransport struct {
	contentType string
	body        []byte
}

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {t.contentType}, "X-Request-Id": {"req_1"}},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)), Request: r,
	}, nil
}

// TestRequestPathAllocations bounds the allocations of one request
// through the whole request path (identity, grants, a quota hold,
// routing, the upstream request, metering, pricing, the ledger row and
// its capture), with a canned provider and a ledger that keeps records
// in memory. The bounds are what it takes now (65, 65, 67) plus three;
// before issue #16's work it took 112, 120 and 115 (84, 84, 86 after its
// first pass), so a change that adds per-request allocations back shows
// here, not only in a benchmark run.
func TestRequestPathAllocations(t *testing.T) {
	src := fmt.Sprintf(benchGatewayConfig, "http://provider.invalid")
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	qm, err := quotas.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		api, path, contentType, body, answer string
		header                               http.Header
		max                                  float64
	}{
		{"chat", "/v1/chat/completions", "application/json",
			`{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}`,
			`{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],` +
				`"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`,
			nil, 68},
		{"responses", "/v1/responses", "application/json",
			`{"model":"gpt-4o","input":"hello"}`,
			`{"id":"resp_abc","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]}],` +
				`"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0}}}`,
			nil, 68},
		{"messages", "/v1/messages", "application/json",
			`{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"hello"}]}`,
			`{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn",` +
				`"usage":{"input_tokens":5,"output_tokens":2,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}`,
			http.Header{"Anthropic-Version": {"2023-06-01"}}, 70},
	} {
		t.Run(tt.api, func(t *testing.T) {
			sink := &recordingSink{}
			gw, err := New(cfg, []byte(src), Options{Ledger: sink, Quotas: qm, Logf: t.Logf,
				Transport: cannedTransport{tt.contentType, []byte(tt.answer)}})
			if err != nil {
				t.Fatal(err)
			}
			h := gw.LocalHandler()
			serve := func() {
				req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
				req.RemoteAddr, req.Host = "127.0.0.1:40000", "127.0.0.1:8080"
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer sk-placeholder")
				for k, v := range tt.header {
					req.Header[k] = v
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
				}
			}
			serve() // warm the caches: grants, prices, pools
			n := testing.AllocsPerRun(200, serve)
			gw.background.Wait()
			if r := sink.last(); r == nil || r.Capture == nil || !r.Usage.Found || !r.CostKnown {
				t.Fatalf("last row %+v: want it metered, priced and captured", r)
			}
			t.Logf("%s: %v allocations per request", tt.api, n)
			if n > tt.max {
				t.Errorf("%s: %v allocations per request, want at most %v", tt.api, n, tt.max)
			}
		})
	}
}
