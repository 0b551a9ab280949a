package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/usage"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// browserConfig makes the local listener's caller, "(loopback)", an admin
// with every model, so the browser sees every page.
const browserConfig = `// Browser test config.
{
  "providers": {
    "anthropic": {
      "name": "Anthropic",
      "baseurl": "%[1]s",
      "apikey": "sk-ant-browser-test-key-0123456789",
      "models": ["claude-sonnet-4-5", "claude-haiku-4-5-20251001"],
      "authorization": "x-api-key",
      "cost_basis": "anthropic",
      "compatibility": {"anthropic_messages": true},
    },
    "openai": {
      "name": "OpenAI",
      "baseurl": "%[1]s/v1",
      "apikey": "sk-openai-browser-test-key-0123456789",
      "models": ["gpt-4o", "gpt-4o-mini"],
      "cost_basis": "openai",
      "compatibility": {"openai_chat": true, "openai_responses": true},
    },
  },
  "quotas": {
    "daily:<user>": {"capacity": "$10.00", "rate": "$10.00/day", "on_exceed": "reject"},
    "openai-trial": {"capacity": "$5.00", "rate": "$0.00/day", "on_exceed": "reject"},
  },
  "grants": [
    {"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [
      {"role": "admin"}, {"models": "**", "quotas": [{"bucket": "daily:<user>"}]}, {"read_metrics": true},
      {"models": "openai/**", "quotas": [{"bucket": "openai-trial"}]},
    ]}},
  ],
}
`

// tools finds Chromium, node and playwright-core, or says what is missing.
func tools(t *testing.T) (chromium, node string) {
	t.Helper()
	var missing []string
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, "chromium at "+chromium+" (apt-get install chromium)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "playwright-core (npm ci in internal/browsertest)")
	}
	if len(missing) > 0 {
		msg := "browser test needs " + strings.Join(missing, ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return chromium, node
}

func TestDashboardInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	chromium, node := tools(t)

	fake := fakellm.New(fakellm.WithUsage(fakellm.Usage{InputTokens: 1200, OutputTokens: 340}))
	up := httptest.NewServer(fake.Handler())
	defer up.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.hujson")
	src := []byte(fmt.Sprintf(browserConfig, up.URL))
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := config.ParseFile(path, src)
	if err != nil {
		t.Fatal(err, diags)
	}
	l, err := ledger.Open(filepath.Join(dir, "aperture.db"), ledger.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	qm, err := quotas.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, src, gateway.Options{Ledger: l, Store: l, Quotas: qm, Logf: t.Logf,
		ConfigPath: path, Version: "browser-test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.LocalHandler()) // 127.0.0.1: callers are "(loopback)"
	defer srv.Close()
	seed(t, srv.URL, l)
	// A request in flight for the whole run: the dashboard shows the
	// $0.50 it holds in the daily bucket.
	held, err := qm.Reserve(quotas.Refs([]string{"daily:(loopback)"}, []string{"daily:<user>"}), 500_000_000)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()

	shots := os.Getenv("SCREENSHOTS")
	if shots == "" {
		shots, _ = filepath.Abs("screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "ui.spec.mjs")
	cmd.Env = append(os.Environ(), "BASE_URL="+srv.URL, "CHROMIUM="+chromium, "SCREENSHOTS="+shots,
		"USER_DATA_DIR="+filepath.Join(dir, "chromium-profile"))
	out, err := cmd.CombinedOutput()
	t.Logf("ui.spec.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser run failed: %v", err)
	}
	t.Logf("screenshots in %s", shots)

	// The Settings page saved a change: on disk, with the real key kept,
	// and in force.
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(saved), "// saved from the browser test") ||
		!strings.Contains(string(saved), `"sk-ant-browser-test-key-0123456789"`) || strings.Contains(string(saved), "masked") {
		t.Errorf("config file after the browser's save:\n%s", saved)
	}
	if _, running := gw.Config(); string(running) != string(saved) {
		t.Errorf("the saved config is not the running one")
	}
}

// seed sends real requests as the browser's own user, and commits older
// rows for other users so charts, logs and adoption have several days.
func seed(t *testing.T, base string, l *ledger.Ledger) {
	t.Helper()
	bodies := []struct{ path, body, session string }{
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"respond with: hello"}]}`, "sess-browser-1"},
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"respond with: again"}]}`, "sess-browser-1"},
		{"/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"respond with: hi"}]}`, ""},
	}
	for _, b := range bodies {
		req, _ := http.NewRequest("POST", base+b.path, strings.NewReader(b.body))
		req.Header.Set("Content-Type", "application/json")
		if b.session != "" {
			req.Header.Set("X-Session-Id", b.session)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("seed %s: %d", b.path, res.StatusCode)
		}
	}
	now := time.Now().UTC()
	users := []string{"alice@example.com", "bob@example.com", "tag:ci"}
	models := []struct{ provider, model string }{{"anthropic", "claude-sonnet-4-5"}, {"openai", "gpt-4o"}, {"openai", "gpt-4o-mini"}, {"anthropic", "claude-haiku-4-5-20251001"}}
	n := 0
	for day := 1; day < 12; day++ {
		for i, u := range users {
			if (day+i)%3 == 0 {
				continue
			}
			m := models[(day+i)%len(models)]
			n++
			in, out := int64(800*(i+1)+day*150), int64(120*(day%4+1))
			rec := &ledger.Record{ID: fmt.Sprintf("seed%06d", n), Time: now.Add(-time.Duration(day)*24*time.Hour - time.Duration(i)*time.Hour),
				LoginName: u, NodeName: "laptop", Principal: u, Provider: m.provider, Model: m.model,
				API: config.OpenAIChat, Status: 200, Duration: time.Duration(400+day*90) * time.Millisecond,
				TTFB: 150 * time.Millisecond, SessionID: fmt.Sprintf("sess-%s-%d", strings.Split(u, "@")[0], day/4),
				Usage: usage.Usage{InputTokens: in, OutputTokens: out, Found: true}, CostNanos: in*3000 + out*15000, CostKnown: true}
			if strings.HasPrefix(u, "tag:") {
				rec.LoginName, rec.Tags = "", []string{u}
			}
			if err := l.Commit(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
		}
	}
}
