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

	"github.com/tsplug/ts-plug/gateway/ledger"
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

	const n = 40
	for i := 0; i < n; i++ {
		stream := i%2 == 0
		res, body := post(t, base+"/v1/messages",
			fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":500,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream))
		if res.StatusCode != 200 || (stream && !strings.Contains(body, "message_stop")) {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, body)
		}
	}
	// Every answer above arrived in full. The gateway commits their rows
	// on its own a few milliseconds later (no request waits for that):
	// watch its metrics, which do not force a commit, then kill it
	// without warning.
	waitLedgerRows(ctx, t, base, n)
	p.Signal(syscall.SIGKILL)
	p.Wait(ctx)

	l, err := ledger.Open(filepath.Join(state, "aperture.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := l.Requests(ctx, ledger.Query{Limit: 1000})
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("ledger has %d rows after SIGKILL, want %d", len(rows), n)
	}
	// $3/M in, $15/M out: 1000 in + 500 out = $0.0105 each.
	for _, r := range rows {
		if r.CostNanos == nil || *r.CostNanos != 10_500_000 || r.InputTokens != 1000 || r.OutputTokens != 500 {
			t.Fatalf("row metered wrong: %+v cost %v", r, r.CostNanos)
		}
	}

	// Quota balances survive a restart too (the manager saves every few
	// seconds and on shutdown: restart cleanly this time).
	p2, base2 := localGateway(t, state, fakeURL)
	post(t, base2+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":500,"messages":[]}`)
	p2.Signal(syscall.SIGTERM)
	if code, _ := p2.Wait(ctx); code != 0 {
		t.Fatalf("clean stop: exit %d\n%s", code, p2.Output())
	}
	_, base3 := localGateway(t, state, fakeURL)
	res, err := http.Get(base3 + "/api/quotas")
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

// waitLedgerRows polls the gateway's /metrics until its ledger has
// committed n rows.
func waitLedgerRows(ctx context.Context, t *testing.T, base string, n int) {
	t.Helper()
	want := fmt.Sprintf("aperture_ledger_rows_total %d\n", n)
	last := ""
	for ctx.Err() == nil {
		res, err := http.Get(base + "/metrics")
		if err == nil && res.StatusCode != 200 {
			t.Fatalf("/metrics: %s", res.Status)
		}
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Contains(string(b), want) {
				return
			}
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, "aperture_ledger_rows_total") {
					last = line
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("ledger never committed %d rows on its own (last: %q)", n, last)
}
