package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// These benchmarks drive the whole request path with every feature on —
// loopback identity, grants, a quota bucket, the real SQLite ledger with
// captures — against the in-process fake provider, for profiling:
//
//	go test -run '^$' -bench BenchmarkGateway -cpuprofile cpu.out -memprofile mem.out ./gateway
//
// The fake and the HTTP client run in the same process, so their costs
// appear in the profile too; read the gateway's own frames.

// benchGatewayConfig mirrors the config of the benchmark harness
// (internal/bench): every feature on, a quota bucket too large to reject.
const benchGatewayConfig = `{
  "providers": {
    "openai": {"baseurl": %[1]q, "apikey": "sk-openai-bench", "models": ["gpt-4o"],
      "compatibility": {"openai_chat": true, "openai_responses": true}, "cost_basis": "openai"},
    "anthropic": {"baseurl": %[1]q, "apikey": "sk-ant-bench", "models": ["claude-sonnet-4-5"],
      "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}, "cost_basis": "anthropic"},
  },
  "quotas": {"bench": {"capacity": "$1000000.00", "rate": "$1000000.00/day", "on_exceed": "reject"}},
  "grants": [
    {"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**", "quotas": [{"bucket": "bench"}]}]}},
  ],
}`

// benchGateway returns the gateway's local handler in front of a fake
// provider, with a real ledger in b.TempDir().
func benchGateway(b *testing.B) http.Handler {
	b.Helper()
	fake := fakellm.New(fakellm.WithMaxRecords(1), fakellm.WithMaxRecordedBody(0), fakellm.WithChunks(16))
	up := httptest.NewServer(fake.Handler())
	b.Cleanup(up.Close)
	src := fmt.Sprintf(benchGatewayConfig, up.URL)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		b.Fatal(err, diags)
	}
	l, err := ledger.Open(b.TempDir()+"/aperture.db", ledger.Options{Retention: &cfg.Database.Retention})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	qm, err := quotas.New(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(cfg, []byte(src), Options{Ledger: l, Store: l, Quotas: qm, Logf: b.Logf})
	if err != nil {
		b.Fatal(err)
	}
	return gw.LocalHandler()
}

var benchBodies = []struct {
	name, path string
	header     http.Header
	body       string
}{
	{"chat", "/v1/chat/completions", nil,
		`{"model":"gpt-4o","stream":%t,"messages":[%s{"role":"user","content":"respond with: hello from the benchmark"}]}`},
	{"responses", "/v1/responses", nil,
		`{"model":"gpt-4o","stream":%t,%s"input":"respond with: hello from the benchmark"}`},
	{"messages", "/v1/messages", http.Header{"Anthropic-Version": {"2023-06-01"}},
		`{"model":"claude-sonnet-4-5","max_tokens":256,"stream":%t,%s"messages":[{"role":"user","content":"respond with: hello from the benchmark"}]}`},
}

// benchBody fills a template with stream and, for a large request, a
// leading padding field of n bytes in the API's own shape.
func benchBody(name, tmpl string, stream bool, n int) []byte {
	padding := ""
	if n > 0 {
		text := strings.Repeat("x", n)
		switch name {
		case "chat":
			padding = fmt.Sprintf(`{"role":"system","content":%q},`, text)
		case "responses":
			padding = fmt.Sprintf(`"instructions":%q,`, text)
		default:
			padding = fmt.Sprintf(`"system":%q,`, text)
		}
	}
	return []byte(fmt.Sprintf(tmpl, stream, padding))
}

// BenchmarkGateway serves requests through the handler with a response
// recorder: the gateway's request path, the upstream transport and the
// ledger commit, without the client-side HTTP server.
func BenchmarkGateway(b *testing.B) {
	h := benchGateway(b)
	for _, api := range benchBodies {
		for _, stream := range []bool{false, true} {
			for _, size := range []int{0, 100 << 10} {
				body := benchBody(api.name, api.body, stream, size)
				name := fmt.Sprintf("%s/stream=%t/body=%dB", api.name, stream, len(body))
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							req := httptest.NewRequest("POST", api.path, bytes.NewReader(body))
							// The local handler serves loopback callers only.
							req.RemoteAddr = "127.0.0.1:40000"
							req.Host = "127.0.0.1:8080"
							req.Header.Set("Content-Type", "application/json")
							for k, v := range api.header {
								req.Header[k] = v
							}
							rec := httptest.NewRecorder()
							h.ServeHTTP(rec, req)
							if rec.Code != 200 {
								b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
							}
						}
					})
				})
			}
		}
	}
}

// BenchmarkGatewayHTTP adds the gateway's own HTTP server and a
// keep-alive client, as the --listen port serves them.
func BenchmarkGatewayHTTP(b *testing.B) {
	front := httptest.NewServer(benchGateway(b))
	b.Cleanup(front.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := benchBody("chat", benchBodies[0].body, false, 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Post(front.URL+"/v1/chat/completions", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

// BenchmarkBareProxy is BenchmarkGateway's floor: the same requests
// through net/http/httputil.ReverseProxy to the same fake, with no
// identity, grants, quotas, metering or captures. The difference in
// ns/op is what the gateway's features cost per request, measured in one
// process without the machine noise of the end-to-end harness.
func BenchmarkBareProxy(b *testing.B) {
	fake := fakellm.New(fakellm.WithMaxRecords(1), fakellm.WithMaxRecordedBody(0), fakellm.WithChunks(16))
	up := httptest.NewServer(fake.Handler())
	b.Cleanup(up.Close)
	target, _ := url.Parse(up.URL)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	h := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     tr,
		FlushInterval: -1,
	}
	for _, api := range benchBodies {
		body := benchBody(api.name, api.body, false, 0)
		b.Run(api.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("POST", api.path, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					for k, v := range api.header {
						req.Header[k] = v
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
					}
				}
			})
		})
	}
}
