package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/pricing"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/usage"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// localGateway serves cfgText (with %s for the upstream URL) on the
// loopback handler, everyone's grant coming from the text.
func localGateway(t *testing.T, upstream http.Handler, cfgText string, opts Options) (*Server, string) {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	src := fmt.Sprintf(cfgText, up.URL)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	gw, err := New(cfg, []byte(src), opts)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(front.Close)
	return gw, front.URL
}

const anthropicOnly = `{"providers":{"anthropic":{"baseurl":%q,"apikey":"sk-ant-provider","models":["claude-sonnet-4-5"],
	"authorization":"x-api-key","compatibility":{"anthropic_messages":true}}},
	"quotas":{"daily:<user>":{"capacity":"$1.00","rate":"$1.00/day","on_exceed":"reject"}},
	"grants":[{"src":["(loopback)"],"app":{"tailscale.com/cap/aperture":[{"role":"admin"},{"models":"**","quotas":[{"bucket":"daily:<user>"}]}]}}]}`

func TestClaudeCodeRequestShape(t *testing.T) {
	var got *http.Request
	var gotBody string
	_, base := localGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	}), anthropicOnly, Options{})
	// What Claude Code sends: ?beta=true, beta headers, a bearer token
	// ANTHROPIC_AUTH_TOKEN, and a system message inside messages.
	body := `{"model":"claude-sonnet-4-5","max_tokens":128000,"stream":true,` +
		`"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],` +
		`"metadata":{"user_id":"{\"session_id\":\"3f1c\"}"}}`
	req, _ := http.NewRequest("POST", base+"/v1/messages?beta=true", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer -")
	req.Header.Set("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14")
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("x-claude-code-session-id", "3f1c")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "message_stop") {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	if got.URL.RawQuery != "beta=true" || got.Header.Get("Anthropic-Beta") != "claude-code-20250219,interleaved-thinking-2025-05-14" ||
		got.Header.Get("Anthropic-Version") != "2023-06-01" || got.Header.Get("X-Api-Key") != "sk-ant-provider" || got.Header.Get("Authorization") != "" {
		t.Errorf("upstream saw %s?%s headers %v", got.URL.Path, got.URL.RawQuery, got.Header)
	}
	if gotBody != body {
		t.Errorf("body changed:\n%s", gotBody)
	}
}

// A client that goes away cancels the provider request, and the ledger
// says the answer was interrupted.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	canceled := make(chan struct{})
	sink := &recordingSink{}
	_, base := localGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(canceled)
	}), anthropicOnly, Options{Ledger: sink})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[]}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	res.Body.Read(buf)
	cancel()
	select {
	case <-canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("the provider request was not cancelled when the client left")
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if sink.last() == nil {
			return errors.New("no row for the interrupted stream")
		}
		return nil
	})
	if rec := sink.last(); !rec.Interrupted || rec.Usage.InputTokens != 5 {
		t.Errorf("record = %+v", rec)
	}
}

type brokenLedger struct{ recordingSink }

func (*brokenLedger) Healthy() error { return errors.New("disk I/O error") }

func TestUnhealthyLedgerRefusesMeteredRequests(t *testing.T) {
	hit := false
	_, base := localGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }),
		anthropicOnly, Options{Ledger: &brokenLedger{}})
	res, body := do(t, "POST", base+"/v1/messages", seedMessages)
	// The database's error goes to the log, not to the caller.
	if res.StatusCode != 503 || strings.Contains(body, "disk I/O error") || !strings.Contains(body, "overloaded_error") {
		t.Errorf("%d %s", res.StatusCode, body)
	}
	// The caller learns what to do: retry shortly, or tell the admin.
	if res.Header.Get("Retry-After") != "1" || !strings.Contains(body, "try again shortly") || !strings.Contains(body, "admin") {
		t.Errorf("no guidance in the refusal: Retry-After %q, %s", res.Header.Get("Retry-After"), body)
	}
	if hit {
		t.Error("the request was forwarded although it could not be billed")
	}
}

func TestQuotaAPIs(t *testing.T) {
	qm, _ := quotas.New(nil, nil)
	_, base := localGateway(t, http.NotFoundHandler(), anthropicOnly, Options{Quotas: qm, Ledger: noLedger{}})
	_, body := do(t, "GET", base+"/api/quotas", "")
	var q struct {
		Quotas []quotas.BalanceView `json:"quotas"`
	}
	json.Unmarshal([]byte(body), &q)
	if len(q.Quotas) != 1 || q.Quotas[0].Bucket != "daily:(loopback)" || q.Quotas[0].Balance != "$1.00" {
		t.Fatalf("quotas = %s", body)
	}
	// Spend some, then refill.
	res, _ := qm.Reserve(quotas.Refs([]string{"daily:(loopback)"}, []string{"daily:<user>"}), 600_000_000)
	res.Settle(600_000_000)
	for _, tc := range []struct {
		body, ctype string
		status      int
	}{
		{`{"bucket":"daily:(loopback)","amount":"$0.25"}`, "text/plain", 415},
		{`{"bucket":"daily:(loopback)","amount":"$0.25"}`, "application/json; no-csrf", 403},
		{`{"bucket":"daily:(loopback)","amount":"-$1"}`, "application/json", 400},
		{`{"bucket":"nope","amount":"$1"}`, "application/json", 404},
		{`{"bucket":"daily:(loopback)","amount":"$0.25"}`, "application/json", 200},
	} {
		req, _ := http.NewRequest("POST", base+"/api/quotas/refill", strings.NewReader(tc.body))
		ctype, noCSRF := strings.CutSuffix(tc.ctype, "; no-csrf")
		req.Header.Set("Content-Type", ctype)
		if !noCSRF {
			req.Header.Set(CSRFHeader, "1")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("refill %s (%s): %d %s, want %d", tc.body, tc.ctype, res.StatusCode, b, tc.status)
		}
		if tc.status == 200 && !strings.Contains(string(b), `"balance": "$0.65`) {
			t.Errorf("after refill: %s", b)
		}
	}
}

func TestDNSRebindingAndLANCallersRefused(t *testing.T) {
	gw, base := localGateway(t, http.NotFoundHandler(), anthropicOnly, Options{
		Hostnames: func() []string { return []string{"ai", "ai.example.ts.net"} },
	})
	for _, tc := range []struct {
		host string
		want int
	}{
		{"", 200}, // the test server's own 127.0.0.1:port
		{"localhost:8080", 200},
		{"ai", 200},
		{"AI.example.ts.net.", 200},
		{"100.64.0.7", 200},
		{"evil.example.com", 403},
		{"ai.evil.example.com:80", 403},
	} {
		req, _ := http.NewRequest("GET", base+"/api/whoami", nil)
		if tc.host != "" {
			req.Host = tc.host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("Host %q: %d, want %d", tc.host, res.StatusCode, tc.want)
		}
	}
	// The tailnet handler checks Host too.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("PUT", "http://evil.example.com/api/config", strings.NewReader("{}"))
	gw.ServeHTTP(w, r)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "rebinding") {
		t.Errorf("tailnet handler, foreign Host: %d %s", w.Code, w.Body)
	}
	// The local listener serves this machine only, whatever it is bound to.
	w = httptest.NewRecorder()
	r = httptest.NewRequest("GET", "http://127.0.0.1/api/whoami", nil)
	r.RemoteAddr = "192.168.1.20:50000"
	gw.LocalHandler().ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("LAN caller on the local listener: %d, want 403", w.Code)
	}
}

// A stream cut before any content or usage arrived is charged its input,
// estimated from the request (the provider has read the prompt), and
// the row says so: neither refunded whole nor charged its whole hold.
func TestCutStreamIsChargedItsInput(t *testing.T) {
	qm, _ := quotas.New(nil, nil)
	cut := make(chan struct{})
	_, base := localGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(cut)
	}), strings.Replace(anthropicOnly, `"authorization":"x-api-key",`, `"authorization":"x-api-key","cost_basis":"anthropic",`, 1),
		Options{Quotas: qm})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":1000,"stream":true,"messages":[]}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Read(make([]byte, 10))
	cancel()
	<-cut
	price, ok := pricing.Lookup("anthropic", "claude-sonnet-4-5")
	if !ok {
		t.Fatal("no built-in price for claude-sonnet-4-5")
	}
	want, known := pricing.Cost(price, usage.Usage{InputTokens: 19, Found: true})
	if !known {
		t.Fatal("19 input tokens of claude-sonnet-4-5 have no cost")
	}
	var b []quotas.BalanceView
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if b = qm.Balances(nil); len(b) != 1 || b[0].ReservedNanos != 0 {
			return fmt.Errorf("reservation never settled: %+v", b)
		}
		return nil
	})
	// The 76-byte body is 19 input tokens at the table's price, less
	// what the bucket ($1/day) refilled meanwhile.
	if spent := b[0].CapacityNanos - b[0].BalanceNanos; spent > want || spent < want-5000 {
		t.Errorf("cut stream charged %d nanodollars, want its input's %d", spent, want)
	}
}
