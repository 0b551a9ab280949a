package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/tailcfg"
)

// fakeWhoIs maps remote addresses to tailnet identities.
type fakeWhoIs map[string]*apitype.WhoIsResponse

func (f fakeWhoIs) whois(_ context.Context, addr string) (*apitype.WhoIsResponse, error) {
	host := addr[:strings.LastIndex(addr, ":")]
	if w, ok := f[host]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("no peer at %s", addr)
}

func user(login string, caps ...string) *apitype.WhoIsResponse {
	w := &apitype.WhoIsResponse{
		Node:        &tailcfg.Node{Name: strings.Split(login, "@")[0] + "-laptop.tail.ts.net.", StableID: tailcfg.StableNodeID("n" + strings.Split(login, "@")[0])},
		UserProfile: &tailcfg.UserProfile{LoginName: login, DisplayName: login},
	}
	if len(caps) > 0 {
		w.CapMap = tailcfg.PeerCapMap{identity.CapAperture: nil}
		for _, c := range caps {
			w.CapMap[identity.CapAperture] = append(w.CapMap[identity.CapAperture], tailcfg.RawMessage(c))
		}
	}
	return w
}

func tagged(tags ...string) *apitype.WhoIsResponse {
	return &apitype.WhoIsResponse{
		Node:        &tailcfg.Node{Name: "ci-runner.tail.ts.net.", StableID: "nci", Tags: tags},
		UserProfile: &tailcfg.UserProfile{LoginName: "tagged-devices"},
	}
}

// recordingSink keeps committed records.
type recordingSink struct {
	mu         sync.Mutex
	recs       []*ledger.Record
	noCaptures bool // as a ledger with retention "0"
}

var _ Ledger = (*recordingSink)(nil)

func (s *recordingSink) KeepsCaptures() bool { return !s.noCaptures }

// CaptureAsync attaches c to the committed record of request id, where
// the tests read it.
func (s *recordingSink) CaptureAsync(id string, c *ledger.Capture) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.recs) - 1; i >= 0; i-- {
		if s.recs[i].ID == id {
			s.recs[i].Capture = c
			return nil
		}
	}
	return fmt.Errorf("capture of %s: no such record", id)
}

// StoredResponse answers as the ledger would from the records: the
// first that created id.
func (s *recordingSink) StoredResponse(_ context.Context, id string) (ledger.StoredResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.recs {
		if r.CreatedResponse == id {
			return ledger.StoredResponse{Principal: r.Principal, ContextTokens: r.ResponseContext}, nil
		}
	}
	return ledger.StoredResponse{}, nil
}
func (s *recordingSink) RecordConfig(context.Context, string, string, string) error {
	return nil
}
func (s *recordingSink) Stats() ledger.Stats { return ledger.Stats{} }

func (s *recordingSink) Enqueue(r *ledger.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
	return nil
}
func (s *recordingSink) Healthy() error { return nil }
func (s *recordingSink) records() []*ledger.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.recs)
}

func (s *recordingSink) last() *ledger.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recs) == 0 {
		return nil
	}
	r := s.recs[len(s.recs)-1]
	storeCapture(r)
	return r
}

// testConfig: alice is admin with every model; bob is a user with
// anthropic only; carol has no role; tag:ci may use openai.
const testConfig = `{
  "providers": {
    "anthropic": {
      "baseurl": "%[1]s",
      "apikey": "sk-ant-provider-key",
      "models": ["claude-haiku-4-5-20251001", "claude-sonnet-4-5"],
      "authorization": "x-api-key",
      "compatibility": {"anthropic_messages": true},
    },
    "openai": {
      "baseurl": "%[1]s/v1",
      "apikey": "sk-openai-provider-key",
      "models": ["gpt-4o", "gpt-4o-mini"],
      "cost_basis": "openai",
      "compatibility": {"openai_chat": true, "openai_responses": true},
    },
    "gemini": {
      "baseurl": "%[1]s",
      "apikey": "gemini-provider-key",
      "models": ["gemini-2.5-flash"],
      "authorization": "x-goog-api-key",
      "compatibility": {"gemini_generate_content": true},
    },
  },
  "grants": [
    {"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}},
    {"src": ["bob@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "anthropic/**"}]}},
    {"src": ["tag:ci"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "openai/*"}]}},
    {"src": ["dave@example.com"], "app": {"tailscale.com/cap/aperture": [
      {"role": "user"}, {"models": "**"},
      {"set_cors": true, "cors_paths": ["/v1/**"], "Access-Control-Allow-Origin": "https://app.example.com"},
    ]}},
  ],
}`

type fixture struct {
	fake  *fakellm.Server
	upURL string
	gw    *Server
	sink  *recordingSink
	// per-caller HTTP front ends: each has its own loopback address,
	// which fakeWhoIs maps to an identity.
	fronts map[string]*httptest.Server
	local  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureUpstream(t, nil)
}

// newFixtureUpstream is newFixture with the provider's handler passed
// through wrap (when not nil), for a test that needs the provider to
// answer with something fakellm does not send.
func newFixtureUpstream(t *testing.T, wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	fake := fakellm.New()
	var h http.Handler = fake.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	up := httptest.NewServer(h)
	t.Cleanup(up.Close)
	src := []byte(fmt.Sprintf(testConfig, up.URL))
	cfg, diags, err := config.Parse(src)
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	who := fakeWhoIs{
		"100.64.0.1": user("alice@example.com"),
		"100.64.0.2": user("bob@example.com"),
		"100.64.0.3": user("carol@example.com"),
		"100.64.0.4": tagged("tag:prod", "tag:ci"),
		"100.64.0.5": user("erin@example.com", `{"role":"user"}`, `{"models":"gemini/*"}`),
		"100.64.0.6": user("dave@example.com"),
	}
	sink := &recordingSink{}
	gw, err := New(cfg, src, Options{WhoIs: who.whois, Ledger: sink, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{fake: fake, upURL: up.URL, gw: gw, sink: sink, fronts: map[string]*httptest.Server{}}
	for ip, w := range who {
		// Every caller comes from 127.0.0.1; each front end stands in
		// for one tailnet peer by presenting its address to WhoIs.
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.RemoteAddr = ip + ":41641"
			gw.ServeHTTP(w, r)
		}))
		t.Cleanup(ts.Close)
		name := w.UserProfile.LoginName
		if len(w.Node.Tags) > 0 {
			name = "ci"
		}
		f.fronts[strings.Split(name, "@")[0]] = ts
	}
	f.local = httptest.NewServer(gw.LocalHandler())
	t.Cleanup(f.local.Close)
	return f
}

func (f *fixture) url(who, path string) string { return f.fronts[who].URL + path }

func do(t *testing.T, method, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// The seed page's three curl tests, verbatim bodies.
const (
	seedMessages  = `{"model": "claude-haiku-4-5-20251001", "max_tokens": 25, "messages": [{"role": "user", "content": "respond with: hello"}]}`
	seedChat      = `{"model": "gpt-4o", "messages": [{"role": "user", "content": "respond with: hello"}]}`
	seedResponses = `{"model": "gpt-4o", "input": [{"role": "user", "content": "respond with: hello"}]}`
)

func TestSeedCurlsAndKeyInjection(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		path, body, keyHeader, key string
	}{
		{"/v1/messages", seedMessages, "X-Api-Key", "sk-ant-provider-key"},
		{"/v1/chat/completions", seedChat, "Authorization", "Bearer sk-openai-provider-key"},
		{"/v1/responses", seedResponses, "Authorization", "Bearer sk-openai-provider-key"},
		{"/v1beta/models/gemini-2.5-flash:generateContent?key=client-key",
			`{"contents":[{"role":"user","parts":[{"text":"respond with: hello"}]}]}`, "X-Goog-Api-Key", "gemini-provider-key"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f.fake.Reset()
			res, body := do(t, "POST", f.url("alice", tt.path), tt.body,
				"Authorization", "Bearer client-secret", "X-Api-Key", "client-secret", "Tailscale-User-Login", "ceo@example.com")
			if res.StatusCode != 200 {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			if !strings.Contains(body, "hello") {
				t.Errorf("answer lacks hello: %s", body)
			}
			req, ok := f.fake.LastRequest()
			if !ok {
				t.Fatal("provider got nothing")
			}
			if got := req.Header.Get(tt.keyHeader); got != tt.key {
				t.Errorf("%s = %q, want %q", tt.keyHeader, got, tt.key)
			}
			for k, vs := range req.Header {
				for _, v := range vs {
					if strings.Contains(v, "client-secret") || strings.Contains(v, "client-key") {
						t.Errorf("client credential reached the provider in %s", k)
					}
				}
				if strings.HasPrefix(strings.ToLower(k), "tailscale-") {
					t.Errorf("%s reached the provider", k)
				}
			}
			if strings.Contains(req.RawQuery, "client-key") {
				t.Errorf("?key= reached the provider: %s", req.RawQuery)
			}
			if strings.HasPrefix(tt.path, "/v1/") && string(req.Body) != tt.body {
				t.Errorf("body changed on the way:\n got %s\nwant %s", req.Body, tt.body)
			}
			if strings.Contains(body, "provider-key") {
				t.Errorf("provider key in the answer")
			}
			rec := f.sink.last()
			if rec == nil || rec.Principal != "alice@example.com" || rec.Status != 200 || !rec.Usage.Found {
				t.Errorf("ledger record = %+v", rec)
			}
		})
	}
}

func TestAccessErrorsInDialect(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, who, path, body string
		status                int
		want                  string
	}{
		{"no role anthropic", "carol", "/v1/messages", seedMessages, 403, `"type":"error"`},
		{"no role openai", "carol", "/v1/chat/completions", seedChat, 403, `"error":{"message":"access denied: no role granted"`},
		{"no role gemini", "carol", "/v1beta/models/gemini-2.5-flash:generateContent", `{}`, 403, `"status":"PERMISSION_DENIED"`},
		{"model not granted", "bob", "/v1/chat/completions", seedChat, 404, `model_not_found`},
		{"model not granted anthropic", "ci", "/v1/messages", seedMessages, 404, `not_found_error`},
		{"unknown model", "alice", "/v1/messages", `{"model":"claude-nope","max_tokens":1,"messages":[]}`, 404, `not served`},
		{"gemini not granted", "bob", "/v1beta/models/gemini-2.5-flash:generateContent", `{}`, 404, `"status":"NOT_FOUND"`},
		{"no model", "alice", "/v1/chat/completions", `{"messages":[]}`, 400, `no \"model\"`},
		{"bad json", "alice", "/v1/chat/completions", `{"model":`, 400, `invalid_request_error`},
		{"policy grant only", "erin", "/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[]}`, 200, `usageMetadata`},
		{"tagged device", "ci", "/v1/chat/completions", seedChat, 200, `chat.completion`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, "POST", f.url(tt.who, tt.path), tt.body)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s; want %d containing %s", res.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	if rec := f.sink.last(); rec == nil || rec.Principal != "tag:ci,tag:prod" {
		t.Errorf("tagged device principal = %+v, want tag:ci,tag:prod", rec)
	}
}

func TestWhoAmIAndModels(t *testing.T) {
	f := newFixture(t)
	_, body := do(t, "GET", f.url("bob", "/api/whoami"), "", "Tailscale-User-Login", "alice@example.com")
	var who struct {
		LoginName string   `json:"login_name"`
		Role      string   `json:"role"`
		Models    []string `json:"models"`
	}
	json.Unmarshal([]byte(body), &who)
	if who.LoginName != "bob@example.com" || who.Role != "user" || len(who.Models) != 2 {
		t.Errorf("whoami = %+v", who)
	}
	_, body = do(t, "GET", f.url("bob", "/v1/models"), "")
	var list struct {
		Data []struct {
			ID                 string   `json:"id"`
			Provider           string   `json:"provider"`
			SupportedEndpoints []string `json:"supported_endpoints"`
		} `json:"data"`
	}
	json.Unmarshal([]byte(body), &list)
	if len(list.Data) != 2 || list.Data[0].Provider != "anthropic" || len(list.Data[0].SupportedEndpoints) == 0 {
		t.Errorf("bob's models = %s", body)
	}
	_, body = do(t, "GET", f.url("alice", "/api/providers"), "")
	if strings.Contains(body, "provider-key") || !strings.Contains(body, `"openai"`) {
		t.Errorf("providers = %s", body)
	}
	res, _ := do(t, "GET", f.url("carol", "/v1/models"), "")
	if res.StatusCode != 403 {
		t.Errorf("carol /v1/models = %d, want 403", res.StatusCode)
	}
}

func TestLoopbackListener(t *testing.T) {
	f := newFixture(t)
	// The test config grants nothing to (loopback).
	res, _ := do(t, "POST", f.local.URL+"/v1/messages", seedMessages)
	if res.StatusCode != 403 {
		t.Errorf("loopback without a grant: %d", res.StatusCode)
	}
	_, src := f.gw.Config()
	cfg2, _, err := config.Parse([]byte(strings.Replace(string(src), `"grants": [`,
		`"grants": [{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**"}]}},`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	f.gw.SetConfig(cfg2, nil)
	res, body := do(t, "POST", f.local.URL+"/v1/messages", seedMessages)
	if res.StatusCode != 200 {
		t.Errorf("loopback with a grant: %d %s", res.StatusCode, body)
	}
	if rec := f.sink.last(); rec.Principal != "(loopback)" {
		t.Errorf("principal = %q", rec.Principal)
	}
}

func TestStreamsPassThroughAsTheyArrive(t *testing.T) {
	step := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "event: content_block_delta\ndata: {\"n\":%d}\n\n", i)
			w.(http.Flusher).Flush()
			<-step
		}
	}))
	defer up.Close()
	src := fmt.Sprintf(`{"providers":{"a":{"baseurl":%q,"apikey":"k","models":["m"],"compatibility":{"anthropic_messages":true}}},
		"grants":[{"src":["*"],"app":{"tailscale.com/cap/aperture":[{"role":"user"},{"models":"**"}]}}]}`, up.URL)
	cfg, _, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	gw, _ := New(cfg, []byte(src), Options{Logf: t.Logf})
	front := httptest.NewServer(gw.LocalHandler())
	defer front.Close()
	res, err := http.Post(front.URL+"/v1/messages", "application/json", strings.NewReader(`{"model":"m","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	for i := 0; i < 3; i++ {
		br.ReadString('\n')
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: {\"n\":%d}\n", i) {
			t.Fatalf("event %d: %q %v", i, line, err)
		}
		br.ReadString('\n')
		// The upstream sends the next event only now: a gateway that
		// buffered would never deliver this one.
		step <- struct{}{}
	}
}

func TestChatStreamUsageIsMeteredButHidden(t *testing.T) {
	f := newFixture(t)
	f.fake.SetUsage(fakellm.Usage{InputTokens: 100, OutputTokens: 20, CachedTokens: 50})
	_, body := do(t, "POST", f.url("alice", "/v1/chat/completions"),
		`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if strings.Contains(body, `"usage":{`) {
		t.Errorf("client that did not ask for usage got a usage chunk:\n%s", body)
	}
	if !strings.Contains(body, "[DONE]") {
		t.Errorf("stream not complete:\n%s", body)
	}
	req, _ := f.fake.LastRequest()
	if !strings.Contains(string(req.Body), `"include_usage":true`) {
		t.Errorf("upstream was not asked for usage: %s", req.Body)
	}
	rec := f.sink.last()
	if rec.Usage.InputTokens != 100 || rec.Usage.CachedTokens != 50 || rec.Usage.OutputTokens != 20 {
		t.Errorf("metered usage = %+v", rec.Usage)
	}
	if !rec.CostKnown || rec.CostNanos <= 0 {
		t.Errorf("cost = %d known=%v", rec.CostNanos, rec.CostKnown)
	}
	// A client that asked for usage still gets it.
	_, body = do(t, "POST", f.url("alice", "/v1/chat/completions"),
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}`)
	if !strings.Contains(body, `"usage":{`) {
		t.Errorf("client that asked for usage did not get it:\n%s", body)
	}
}

func TestBrowserRequests(t *testing.T) {
	f := newFixture(t)
	res, body := do(t, "POST", f.url("alice", "/v1/messages"), seedMessages, "Origin", "https://evil.example.com")
	if res.StatusCode != 403 || !strings.Contains(body, "cross-site") {
		t.Errorf("cross-site origin: %d %s", res.StatusCode, body)
	}
	res, _ = do(t, "POST", f.url("alice", "/v1/messages"), seedMessages, "Sec-Fetch-Site", "cross-site")
	if res.StatusCode != 403 {
		t.Errorf("Sec-Fetch-Site cross-site: %d", res.StatusCode)
	}
	res, _ = do(t, "OPTIONS", f.url("dave", "/v1/messages"), "", "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST")
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("preflight for an allowed origin: %d %v", res.StatusCode, res.Header)
	}
	res, _ = do(t, "POST", f.url("dave", "/v1/messages"), seedMessages, "Origin", "https://app.example.com")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("allowed origin: %d", res.StatusCode)
	}
}

func TestUpstreamProblems(t *testing.T) {
	f := newFixture(t)
	f.fake.FailNext(1, fakellm.Failure{Status: 429, Message: "slow down"})
	res, body := do(t, "POST", f.url("alice", "/v1/messages"), seedMessages)
	if res.StatusCode != 429 || !strings.Contains(body, "slow down") {
		t.Errorf("upstream error not passed through: %d %s", res.StatusCode, body)
	}
	res, body = do(t, "POST", f.url("alice", "/v1/messages"), strings.Repeat(" ", DefaultMaxBodyBytes+1))
	if res.StatusCode != 413 {
		t.Errorf("51 MiB body: %d %s", res.StatusCode, body)
	}
	res, body = do(t, "GET", f.url("alice", "/v1/responses"), "", "Upgrade", "websocket", "Connection", "Upgrade")
	if res.StatusCode != 426 {
		t.Errorf("responses websocket: %d %s", res.StatusCode, body)
	}

	// A provider that is down: 502 naming it, never the key.
	_, src := f.gw.Config()
	cfg2, _, err := config.Parse([]byte(strings.ReplaceAll(string(src), f.upURL, "http://127.0.0.1:1")))
	if err != nil {
		t.Fatal(err)
	}
	f.gw.SetConfig(cfg2, nil)
	res, body = do(t, "POST", f.url("alice", "/v1/messages"), seedMessages)
	if res.StatusCode != 502 || !strings.Contains(body, "anthropic") || strings.Contains(body, "provider-key") {
		t.Errorf("provider down: %d %s", res.StatusCode, body)
	}
}

func TestReloadMidTrafficDropsNothing(t *testing.T) {
	// Config version n adds "X-Config-Version: n" to the provider's
	// requests, prices claude-haiku at $n/M in and $2n/M out, and every
	// other version drops claude-sonnet-4-5 from the list. The provider
	// echoes the version it saw, which the capture keeps; the row's cost
	// must be version n's price of the row's usage.
	var gw atomic.Pointer[Server]
	var spanned atomic.Int64 // requests a reload overtook upstream
	f := newFixtureUpstream(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen := r.Header.Values("X-Config-Version")
			w.Header()["X-Config-Seen"] = seen
			h.ServeHTTP(w, r)
			if cfg, _ := gw.Load().Config(); len(seen) == 1 && cfg.Providers["anthropic"].AddHeaders[0] != "X-Config-Version: "+seen[0] {
				spanned.Add(1)
			}
		})
	})
	gw.Store(f.gw)
	f.fake.SetUsage(fakellm.Usage{InputTokens: 1000, OutputTokens: 100})
	f.fake.SetLatency(5 * time.Millisecond)
	_, base := f.gw.Config()
	var mu sync.Mutex
	versions := map[string]*config.Config{}
	version := func(n int) ([]byte, *config.Config) {
		v := strconv.Itoa(n)
		src := strings.Replace(string(base), `"authorization": "x-api-key",`, fmt.Sprintf(
			`"authorization": "x-api-key", "add_headers": ["X-Config-Version: %s"], "pricing": {"claude-haiku-4-5-20251001": {"input": %d, "output": %d}},`, v, n, 2*n), 1)
		if n%2 == 1 {
			src = strings.Replace(src, `, "claude-sonnet-4-5"]`, `]`, 1)
		}
		cfg, diags, err := config.Parse([]byte(src))
		if err != nil {
			t.Fatal(err, diags)
		}
		mu.Lock()
		versions[v] = cfg
		mu.Unlock()
		return []byte(src), cfg
	}
	src, cfg := version(1)
	if err := f.gw.SetConfig(cfg, src); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				res, err := http.Post(f.url("alice", "/v1/messages"), "application/json", strings.NewReader(seedMessages))
				if err != nil {
					errs <- err.Error()
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					errs <- res.Status
				}
			}
		}()
	}
	trafficDone := make(chan struct{})
	go func() { wg.Wait(); close(trafficDone) }()
	reloads := 1
	for done := false; !done; {
		select {
		case <-trafficDone:
			done = true
		default:
			reloads++
			src, cfg := version(reloads)
			if err := f.gw.SetConfig(cfg, src); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	if len(f.sink.recs) != 160 {
		t.Errorf("%d rows for 160 requests", len(f.sink.recs))
	}
	seen := map[string]bool{}
	for _, rec := range f.sink.recs {
		storeCapture(rec)
		vs := rec.Capture.ResponseHeaders.Values("X-Config-Seen")
		if len(vs) != 1 || versions[vs[0]] == nil {
			t.Errorf("%s: provider saw config versions %q, want one", rec.ID, vs)
			continue
		}
		seen[vs[0]] = true
		prices, err := resolverFor(versions[vs[0]])
		if err != nil {
			t.Fatal(err)
		}
		want, _, _, _ := prices.CostDetail("anthropic", "claude-haiku-4-5-20251001", rec.Usage)
		if rec.CostNanos != want {
			t.Errorf("%s: sent under config version %s, costs %d, want that version's %d", rec.ID, vs[0], rec.CostNanos, want)
		}
	}
	// The test shows something only if reloads overtook requests.
	if len(seen) < 2 || spanned.Load() == 0 {
		t.Errorf("%d reloads: traffic saw %d config versions, %d requests outlived theirs", reloads, len(seen), spanned.Load())
	}
	t.Logf("%d reloads; traffic saw %d versions; %d requests outlived theirs", reloads, len(seen), spanned.Load())
}

func TestCaptureRedactsSecrets(t *testing.T) {
	// The provider answers with secrets in its headers: a session token
	// (kept on the answer to the caller, so only redaction keeps it out
	// of the capture), a cookie and an echoed key (both dropped from
	// the answer before it is captured).
	f := newFixtureUpstream(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Session-Token", "upstream-session-secret")
			w.Header().Set("Set-Cookie", "sid=upstream-cookie-secret")
			w.Header().Set("X-Api-Key", r.Header.Get("X-Api-Key"))
			h.ServeHTTP(w, r)
		})
	})
	do(t, "POST", f.url("alice", "/v1/messages"), seedMessages, "X-Api-Key", "client-secret-value")
	rec := f.sink.last()
	if rec.Capture == nil || string(rec.Capture.RequestBody) != seedMessages || !strings.Contains(string(rec.Capture.ResponseBody), "hello") {
		t.Fatalf("capture = %+v", rec.Capture)
	}
	secrets := []string{"client-secret-value", "provider-key", "upstream-session-secret", "upstream-cookie-secret"}
	for _, h := range []http.Header{rec.Capture.RequestHeaders, rec.Capture.ResponseHeaders} {
		for k, vs := range h {
			for _, v := range vs {
				for _, s := range secrets {
					if strings.Contains(v, s) {
						t.Errorf("secret %q captured in %s", s, k)
					}
				}
			}
		}
	}
	// The absence of a secret could be the absence of the header; the
	// marker shows the header was there and redacted.
	if got := rec.Capture.RequestHeaders.Get("X-Api-Key"); got != "REDACTED" {
		t.Errorf("captured request X-Api-Key = %q, want REDACTED", got)
	}
	if got := rec.Capture.ResponseHeaders.Get("X-Session-Token"); got != "REDACTED" {
		t.Errorf("captured response X-Session-Token = %q, want REDACTED (headers %v)", got, rec.Capture.ResponseHeaders)
	}
}

func TestQuotaHoldsUnderConcurrency(t *testing.T) {
	fake := fakellm.New(fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 1000}), fakellm.WithLatency(20*time.Millisecond))
	up := httptest.NewServer(fake.Handler())
	defer up.Close()
	// At the config's $3/M in, $15/M out (not the generated table's,
	// which a regeneration may change): each request costs $0.01503 (10
	// in, 1000 out) and reserves a little more (its body length / 4 as
	// input, plus max_tokens 1000): $0.015075. The bucket holds $0.1508:
	// ten reservations, not eleven.
	src := fmt.Sprintf(`{"providers":{"a":{"baseurl":%q,"apikey":"k","models":["claude-sonnet-4-5"],"cost_basis":"anthropic",
		"pricing":{"claude-sonnet-4-5":{"input":3,"output":15}},
		"compatibility":{"anthropic_messages":true}}},
		"quotas":{"team":{"capacity":"$0.1508","rate":"$0.01/month","on_exceed":"reject"}},
		"grants":[{"src":["*"],"app":{"tailscale.com/cap/aperture":[{"role":"user"},{"models":"**","quotas":[{"bucket":"team"}]}]}}]}`, up.URL)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	qm, err := quotas.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordingSink{}
	gw, err := New(cfg, []byte(src), Options{Ledger: sink, Quotas: qm, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw.LocalHandler())
	defer front.Close()
	var wg sync.WaitGroup
	var admitted, refused atomic.Int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Post(front.URL+"/v1/messages", "application/json",
				strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":1000,"messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch res.StatusCode {
			case 200:
				admitted.Add(1)
			case 429:
				refused.Add(1)
				if !strings.Contains(string(b), "rate_limit_error") {
					t.Errorf("429 not in the Anthropic dialect: %s", b)
				}
			default:
				t.Errorf("status %d: %s", res.StatusCode, b)
			}
		}()
	}
	wg.Wait()
	if a := admitted.Load(); a != 10 {
		t.Errorf("admitted %d of 50 against a bucket that covers 10", a)
	}
	var spent int64
	for _, r := range sink.recs {
		if r.Status == 200 {
			spent += r.CostNanos
		}
	}
	bal := qm.Balances(nil)
	if len(bal) != 1 {
		t.Fatalf("balances = %+v", bal)
	}
	// The bucket may go below zero only by what admitted requests used
	// beyond their reservations: never by a whole extra request.
	if got, want := bal[0].CapacityNanos-bal[0].BalanceNanos, spent; got != want {
		t.Errorf("bucket spent %d, ledger says %d", got, want)
	}
	if spent > 150_800_000 {
		t.Errorf("spent $%.6f from a $0.1508 bucket", float64(spent)/1e9)
	}
	t.Logf("admitted %d, refused %d, spent %d nanodollars", admitted.Load(), refused.Load(), spent)
}
