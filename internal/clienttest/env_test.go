package clienttest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/internal/testbin"
)

func TestMain(m *testing.M) {
	// End-to-end: it builds the binaries and runs them (make test-short
	// leaves it out).
	flag.Parse()
	if testing.Short() {
		fmt.Println("clienttest: skipped under -short (end-to-end)")
		os.Exit(0)
	}
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// Provider keys the gateway injects; the CLIs only ever hold "-".
const (
	anthropicKey = "sk-ant-PROVIDER-clienttest"
	openaiKey    = "sk-openai-PROVIDER-clienttest"
	geminiKey    = "AIza-PROVIDER-clienttest"
	clientToken  = "-"
)

// Models: Claude Code's default (clients.md), the one the test passes with
// --model, the one Codex is configured with, the one Gemini CLI is given
// with --model, and the one OpenCode's provider declares.
const (
	claudeDefaultModel = "claude-opus-5-5"
	claudeModel        = "claude-sonnet-4-5"
	codexModel         = "gpt-5.5"
	geminiModel        = "gemini-2.5-flash"
	opencodeModel      = "gpt-5-mini"
)

// gatewayConfig points both providers at the fake and grants every caller
// the user role and every model.
const gatewayConfig = `{
  "providers": {
    "anthropic": {"baseurl": %[1]q, "apikey": %[2]q, "models": [%[4]q, %[5]q],
      "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}, "cost_basis": "anthropic"},
    "openai": {"baseurl": %[1]q, "apikey": %[3]q, "models": [%[6]q, %[9]q],
      "compatibility": {"openai_chat": true, "openai_responses": true}, "cost_basis": "openai"},
    "gemini": {"baseurl": %[1]q, "apikey": %[7]q, "models": [%[8]q],
      "authorization": "x-goog-api-key", "compatibility": {"gemini_generate_content": true}, "cost_basis": "google"},
  },
  "grants": [
    {"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**"}]}},
  ],
}`

// gatewayEnv is a running fake provider, aperture and ts-unplug.
type gatewayEnv struct {
	fake *fakellm.Server
	base string // ts-unplug's local URL, through which the CLIs reach aperture
}

// startGateway starts an offline tailnet, the fake provider, the real
// aperture binary as node "ai" and the real ts-unplug binary in front of
// it, and waits until the gateway answers through ts-unplug.
func startGateway(ctx context.Context, t *testing.T, usage fakellm.Usage) *gatewayEnv {
	t.Helper()
	tn := tailnettest.New(t, tailnettest.Options{})
	fake := fakellm.New(fakellm.WithRequiredKey(""), fakellm.WithUsage(usage)) // the test checks keys itself
	fakeURL, err := fake.Start()
	if err != nil {
		t.Fatalf("starting the fake provider: %v", err)
	}
	t.Cleanup(func() { fake.Close() })

	state := filepath.Join(t.TempDir(), "aperture")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(state, "config.hujson")
	cfg := fmt.Sprintf(gatewayConfig, fakeURL, anthropicKey, openaiKey, claudeDefaultModel, claudeModel, codexModel,
		geminiKey, geminiModel, opencodeModel)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	testbin.Start(t, tn.ChildEnv(), testbin.Build(t, "aperture"),
		"--state-dir", state, "--config", cfgPath, "--hostname", "ai",
		"--control-url", tn.ControlURL, "--authkey", tn.AuthKey)

	port := freePort(t)
	testbin.Start(t, tn.ChildEnv(), testbin.Build(t, "ts-unplug"),
		"-dir", filepath.Join(t.TempDir(), "unplug"), "-port", port, "-hostname", "laptop",
		"-control-url", tn.ControlURL, "-authkey", tn.AuthKey, "ai")
	e := &gatewayEnv{fake: fake, base: "http://127.0.0.1:" + port}
	// Joining takes seconds; a minute means something is wrong.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	e.waitRole(wctx, t, "user")
	return e
}

// waitRole polls whoami through ts-unplug until the gateway gives the
// caller role.
func (e *gatewayEnv) waitRole(ctx context.Context, t *testing.T, role string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var last string
	for {
		res, err := client.Get(e.base + "/api/whoami")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var who struct{ Role string }
			if res.StatusCode == 200 && json.Unmarshal(b, &who) == nil && who.Role == role {
				return
			}
			last = fmt.Sprintf("%s: %s", res.Status, b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the gateway never gave the caller role %q through ts-unplug; last answer: %s", role, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ledgerRow is the part of a GET /api/requests row the test checks.
type ledgerRow struct {
	Provider     string `json:"provider"`
	Model        string `json:"model"`
	API          string `json:"api"`
	Stream       bool   `json:"stream"`
	Status       int    `json:"status"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	CachedTokens int64  `json:"cached_tokens"`
	Cost         *int64 `json:"cost_nanodollars"`
	SessionID    string `json:"session_id"`
	Node         string `json:"node"`
}

// sessionRows polls the ledger through ts-unplug until it holds rows of
// session id (rows are written asynchronously), and returns them.
func (e *gatewayEnv) sessionRows(ctx context.Context, t *testing.T, id string) []ledgerRow {
	t.Helper()
	var all []ledgerRow
	for {
		all = nil
		res, err := http.Get(e.base + "/api/requests?limit=100")
		if err == nil {
			var out struct {
				Requests []ledgerRow `json:"requests"`
			}
			err = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			all = out.Requests
		}
		var rows []ledgerRow
		for _, r := range all {
			if r.SessionID == id {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			return rows
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the ledger has no row with session_id %q (last error %v); rows: %+v", id, err, all)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort is testbin.MustFreePort: a loopback port free a moment ago.
var freePort = testbin.MustFreePort

// sent is one request as a CLI sent it, before ts-unplug and the gateway.
type sent struct {
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// tap is a transparent loopback hop in front of ts-unplug that records
// what the CLIs send, so the test can compare it with what reached the
// provider. It adds no forwarding headers and streams answers unbuffered.
type tap struct {
	URL string
	mu  sync.Mutex
	log []sent
}

// startTap starts a tap forwarding to target.
func startTap(t *testing.T, target string) *tap {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("parsing %s: %v", target, err)
	}
	tp := &tap{}
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(u) },
		FlushInterval: -1,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, fmt.Sprintf("tap: reading the body: %v", err), http.StatusBadGateway)
			return
		}
		tp.mu.Lock()
		tp.log = append(tp.log, sent{Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		tp.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tp.URL = srv.URL
	return tp
}

// since returns the requests recorded after the first n.
func (tp *tap) since(n int) []sent {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]sent(nil), tp.log[min(n, len(tp.log)):]...)
}

// count is how many requests the tap has recorded.
func (tp *tap) count() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return len(tp.log)
}
