package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// localGateway runs the real aperture with --no-tailnet on a loopback
// port, its caller being "(loopback)".
func localGateway(t *testing.T, state, fakeURL string) (*testbin.Proc, string) {
	t.Helper()
	cfg := filepath.Join(state, "config.hujson")
	if _, err := os.Stat(cfg); err != nil {
		os.MkdirAll(state, 0o700)
		os.WriteFile(cfg, []byte(fmt.Sprintf(`{
  "providers": {"anthropic": {"baseurl": %q, "apikey": "k", "models": ["claude-sonnet-4-5"],
    "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}, "cost_basis": "anthropic"}},
  "quotas": {"daily:<user>": {"capacity": "$10.00", "rate": "$0.01/month", "on_exceed": "reject"}},
  "grants": [{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [
    {"role": "admin", "read_metrics": true}, {"models": "**", "quotas": [{"bucket": "daily:<user>"}]}]}}],
}`, fakeURL)), 0o600)
	}
	addr := "127.0.0.1:" + freePort(t)
	p := testbin.Start(t, os.Environ(), testbin.Build(t, "aperture"),
		"--no-tailnet", "--listen", addr, "--state-dir", state, "--config", cfg)
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitHTTP(ctx, t, base+"/healthz", 200).Body.Close()
	return p, base
}

func TestGatewayLedgerSurvivesSIGKILL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fake := fakellm.New(fakellm.WithUsage(fakellm.Usage{InputTokens: 1000, OutputTokens: 500}))
	fakeURL, _ := fake.Start()
	defer fake.Close()
	state := filepath.Join(t.TempDir(), "aperture")
	p, base := localGateway(t, state, fakeURL)

	// ask makes request i and reads its answer to the end: once it
	// returns, the client has the whole answer (the chunked terminator,
	// or every byte of the length announced).
	ask := func(i int) error {
		stream := i%2 == 0
		res, err := http.Post(base+"/v1/messages", "application/json", strings.NewReader(
			fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":500,"stream":%v,"messages":[{"role":"user","content":"hi %d"}]}`, stream, i)))
		if err != nil {
			return err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return fmt.Errorf("request %d: reading the answer: %v", i, err)
		}
		if res.StatusCode != 200 || (stream && !strings.Contains(string(b), "message_stop")) {
			return fmt.Errorf("request %d: %d %s", i, res.StatusCode, b)
		}
		return nil
	}
	// One after another, then a burst finishing together (whose rows
	// share commits), half of them streamed.
	const seq, burst = 20, 20
	const n = seq + burst
	for i := range seq {
		if err := ask(i); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, burst)
	for i := seq; i < n; i++ {
		go func() { errs <- ask(i) }()
	}
	for range burst {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The n-th answer has just been read in full: kill the gateway at
	// once, without warning (no sleep, no query that would wait for the
	// ledger first). Every one of those rows must be committed already.
	p.Signal(syscall.SIGKILL)
	p.Wait(ctx)

	// Restart on the same state and read the ledger back through the API.
	p2, base2 := localGateway(t, state, fakeURL)
	res, err := http.Get(base2 + "/api/requests?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Requests []struct {
			ID           string `json:"id"`
			InputTokens  int64  `json:"input_tokens"`
			OutputTokens int64  `json:"output_tokens"`
			CostNanos    *int64 `json:"cost_nanodollars"`
			Interrupted  bool   `json:"interrupted"`
			Estimated    bool   `json:"estimated"`
			Unpriced     string `json:"unpriced"`
		} `json:"requests"`
	}
	err = json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("/api/requests after restart: %s %v", res.Status, err)
	}
	if len(got.Requests) != n {
		t.Fatalf("ledger has %d rows after SIGKILL right after %d completed requests, want %d", len(got.Requests), n, n)
	}
	// $3/M in, $15/M out: 1000 in + 500 out = $0.0105 each.
	for _, r := range got.Requests {
		if r.CostNanos == nil || *r.CostNanos != 10_500_000 || r.InputTokens != 1000 || r.OutputTokens != 500 ||
			r.Interrupted || r.Estimated || r.Unpriced != "" {
			t.Fatalf("row metered wrong: %+v cost %v", r, r.CostNanos)
		}
	}

	// Quota balances survive a restart too (the manager saves every few
	// seconds and on shutdown: restart cleanly this time).
	post(t, base2+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":500,"messages":[]}`)
	p2.Signal(syscall.SIGTERM)
	if code, _ := p2.Wait(ctx); code != 0 {
		t.Fatalf("clean stop: exit %d\n%s", code, p2.Output())
	}
	_, base3 := localGateway(t, state, fakeURL)
	res, err = http.Get(base3 + "/api/quotas")
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		Quotas []struct {
			Bucket       string `json:"bucket"`
			BalanceNanos int64  `json:"balance_nanos"`
		} `json:"quotas"`
	}
	json.NewDecoder(res.Body).Decode(&q)
	res.Body.Close()
	if len(q.Quotas) != 1 || q.Quotas[0].Bucket != "daily:(loopback)" {
		t.Fatalf("quotas after restart = %+v", q)
	}
	// At least the request made on the second run is gone from $10.
	if b := q.Quotas[0].BalanceNanos; b > 10_000_000_000-10_500_000 {
		t.Errorf("balance after restart %d: spending was forgotten", b)
	}
}

func TestGatewayFinishesStreamsOnSIGTERM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fake := fakellm.New(fakellm.WithChunks(10), fakellm.WithPacing(150*time.Millisecond))
	fakeURL, _ := fake.Start()
	defer fake.Close()
	p, base := localGateway(t, filepath.Join(t.TempDir(), "aperture"), fakeURL)

	res, err := http.Post(base+"/v1/messages", "application/json",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"tell me a story"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	// The stream has started; ask the gateway to stop.
	p.Signal(syscall.SIGTERM)
	var sb strings.Builder
	for {
		line, err := br.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			break
		}
	}
	if !strings.Contains(sb.String(), "message_stop") {
		t.Errorf("stream cut by shutdown:\n%s", sb.String())
	}
	if code, err := p.Wait(ctx); code != 0 || err != nil {
		t.Errorf("exit %d %v", code, err)
	}
}
