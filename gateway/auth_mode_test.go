package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// authModeConfig serves the four APIs from one fake upstream, every
// provider in the same auth_mode (%[2]s is what each provider adds for
// it, %[3]s the credential fields of override), all charged to one
// bucket of capacity %[4]s. claude-opus-4-1 is served but not granted.
const authModeConfig = `{
  "providers": {
    "anthropic": {"baseurl": %[1]q, %[2]s %[3]s "models": ["claude-sonnet-4-5", "claude-opus-4-1"],
      "cost_basis": "anthropic", "compatibility": {"anthropic_messages": true}},
    "openai": {"baseurl": "%[1]s/v1", %[2]s %[5]s "models": ["gpt-4o"],
      "cost_basis": "openai", "compatibility": {"openai_chat": true, "openai_responses": true}},
    "gemini": {"baseurl": %[1]q, %[2]s %[6]s "models": ["gemini-2.5-pro"],
      "cost_basis": "google", "compatibility": {"gemini_generate_content": true}},
  },
  "quotas": {"team": {"capacity": %[4]q, "rate": "$0.000001/month", "on_exceed": "reject"}},
  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"},
    {"models": ["anthropic/claude-sonnet-4-5", "openai/*", "gemini/*"], "quotas": [{"bucket": "team"}]}]}}],
}`

// The provider keys of override mode, which must never travel in the
// other modes, nor in override alongside the caller's credential.
const (
	anthropicProviderKey = "sk-ant-provider-secret"
	openaiProviderKey    = "sk-openai-provider-secret"
	geminiProviderKey    = "gemini-provider-secret"
)

type authModeFixture struct {
	fake  *fakellm.Server
	qm    *quotas.Manager
	sink  *recordingSink
	base  string
	capNs int64
}

// newAuthModeFixture is a gateway whose providers all use mode, its bucket
// holding capacity; transport, when not nil, carries upstream requests
// instead of the network.
func newAuthModeFixture(t *testing.T, mode, capacity string, transport http.RoundTripper) *authModeFixture {
	t.Helper()
	fake := fakellm.New()
	up := httptest.NewServer(fake.Handler())
	t.Cleanup(up.Close)
	field := fmt.Sprintf(`"auth_mode": %q,`, mode)
	anthropicKey, openaiKey, geminiKey := "", "", ""
	if mode == config.AuthModeOverride {
		anthropicKey = fmt.Sprintf(`"apikey": %q, "authorization": "x-api-key",`, anthropicProviderKey)
		openaiKey = fmt.Sprintf(`"apikey": %q,`, openaiProviderKey)
		geminiKey = fmt.Sprintf(`"apikey": %q, "authorization": "x-goog-api-key",`, geminiProviderKey)
	}
	src := fmt.Sprintf(authModeConfig, up.URL, field, anthropicKey, capacity, openaiKey, geminiKey)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	qm, err := quotas.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordingSink{}
	gw, err := New(cfg, []byte(src), Options{Ledger: sink, Quotas: qm, Transport: transport, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(front.Close)
	c, _ := config.ParseDollars(capacity)
	return &authModeFixture{fake: fake, qm: qm, sink: sink, base: front.URL, capNs: c}
}

// rows returns the ledger rows committed so far.
func (f *authModeFixture) rows() []*ledger.Record {
	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	for _, r := range f.sink.recs {
		storeCapture(r)
	}
	return slices.Clone(f.sink.recs)
}

// untouched fails the test unless the bucket holds its whole capacity
// with nothing reserved (or was never opened).
func (f *authModeFixture) untouched(t *testing.T) {
	t.Helper()
	for _, b := range f.qm.Balances(nil) {
		if b.BalanceNanos != f.capNs || b.ReservedNanos != 0 {
			t.Errorf("bucket %+v, want %d nanodollars and nothing reserved", b, f.capNs)
		}
	}
}

// authCall is one API's request with the credential its CLI sends when
// signed in with the user's own account.
type authCall struct {
	name, path, body string
	api              config.API
	client           http.Header // the caller's credential (and companions)
	query            string      // the caller's ?key=, when it uses one
	providerHeader   string      // where override puts the provider key
	providerValue    string
}

var authCalls = []authCall{
	{name: "anthropic", path: "/v1/messages", api: config.AnthropicMessages,
		body: `{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
		client: http.Header{ // Claude Code with a Claude Pro/Max login
			"Authorization": {"Bearer sk-ant-oat01-client-oauth-token"}, "Anthropic-Beta": {"oauth-2025-04-20"}},
		providerHeader: "X-Api-Key", providerValue: anthropicProviderKey},
	{name: "anthropic api key", path: "/v1/messages", api: config.AnthropicMessages,
		body:           `{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
		client:         http.Header{"X-Api-Key": {"sk-ant-api03-client-key"}},
		providerHeader: "X-Api-Key", providerValue: anthropicProviderKey},
	{name: "chat", path: "/v1/chat/completions", api: config.OpenAIChat,
		body:           `{"model":"gpt-4o","max_completion_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
		client:         http.Header{"Authorization": {"Bearer sk-proj-client-key"}},
		providerHeader: "Authorization", providerValue: "Bearer " + openaiProviderKey},
	{name: "responses", path: "/v1/responses", api: config.OpenAIResponses,
		body: `{"model":"gpt-4o","max_output_tokens":50,"input":"hi"}`,
		client: http.Header{ // Codex with a ChatGPT login
			"Authorization": {"Bearer eyJhbGciOiJSUzI1NiJ9.chatgpt-client-jwt"}, "Chatgpt-Account-Id": {"acct-client"}},
		providerHeader: "Authorization", providerValue: "Bearer " + openaiProviderKey},
	{name: "gemini", path: "/v1beta/models/gemini-2.5-pro:generateContent", api: config.GeminiGenerateContent,
		body:           `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":50}}`,
		client:         http.Header{"X-Goog-Api-Key": {"gemini-client-key"}},
		providerHeader: "X-Goog-Api-Key", providerValue: geminiProviderKey},
	{name: "gemini key in URL", path: "/v1beta/models/gemini-2.5-pro:generateContent", api: config.GeminiGenerateContent,
		body:           `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":50}}`,
		query:          "key=gemini-client-query-key",
		providerHeader: "X-Goog-Api-Key", providerValue: geminiProviderKey},
}

// secrets are the caller's credential values, as they must never appear
// where they do not belong.
func (c authCall) secrets() []string {
	var out []string
	for _, vs := range apis.ClientCredentials(c.client) {
		for _, v := range vs {
			out = append(out, v, strings.TrimPrefix(v, "Bearer "))
		}
	}
	if c.query != "" {
		out = append(out, strings.TrimPrefix(c.query, "key="))
	}
	return out
}

// send makes the call with its credential (or, withCredential false,
// only its other headers) and returns the answer.
func (c authCall) send(t *testing.T, base, model string, withCredential bool) (*http.Response, string) {
	t.Helper()
	path, body := c.path, c.body
	if model != "" {
		body = strings.Replace(body, `"claude-sonnet-4-5"`, fmt.Sprintf("%q", model), 1)
	}
	if withCredential && c.query != "" {
		path += "?" + c.query
	}
	req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range c.client {
		if withCredential || apis.ClientCredentials(http.Header{k: vs}) == nil {
			req.Header[k] = vs
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// holds reports which of secrets appear in any header value of h or in q.
func holds(h http.Header, q string, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(q, s) {
			found = append(found, s+" (in the query)")
		}
		for k, vs := range h {
			for _, v := range vs {
				if strings.Contains(v, s) {
					found = append(found, s+" (in "+k+")")
				}
			}
		}
	}
	return found
}

// Each mode sends upstream exactly the credential it says, for every API:
// override the provider's key and never the caller's, passthrough the
// caller's and nothing else, none nothing; and in every mode the request
// is metered, charged to its bucket, and captured with the caller's
// credential redacted.
func TestAuthModeCredentialsUpstream(t *testing.T) {
	providerKeys := []string{anthropicProviderKey, openaiProviderKey, geminiProviderKey}
	for _, mode := range []string{config.AuthModeOverride, config.AuthModePassthrough, config.AuthModeNone} {
		f := newAuthModeFixture(t, mode, "$10.00", nil)
		for _, c := range authCalls {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				f.fake.Reset()
				before := len(f.rows())
				res, body := c.send(t, f.base, "", true)
				if res.StatusCode != 200 {
					t.Fatalf("status %d: %s", res.StatusCode, body)
				}
				req, ok := f.fake.LastRequest()
				if !ok {
					t.Fatal("provider got nothing")
				}
				got := apis.ClientCredentials(req.Header)
				switch mode {
				case config.AuthModeOverride:
					want := http.Header{c.providerHeader: {c.providerValue}}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("upstream credentials %v, want the provider's %v", got, want)
					}
					if leaked := holds(req.Header, req.RawQuery, c.secrets()...); leaked != nil {
						t.Errorf("the caller's credential reached the provider: %v", leaked)
					}
				case config.AuthModePassthrough:
					if want := apis.ClientCredentials(c.client); !reflect.DeepEqual(got, want) {
						t.Errorf("upstream credentials %v, want the caller's %v", got, want)
					}
					if c.query != "" && !strings.Contains(req.RawQuery, c.query) {
						t.Errorf("the caller's ?key= was not forwarded: %q", req.RawQuery)
					}
					if leaked := holds(req.Header, req.RawQuery, providerKeys...); leaked != nil {
						t.Errorf("a provider key travelled: %v", leaked)
					}
				case config.AuthModeNone:
					if got != nil || strings.Contains(req.RawQuery, "key=") {
						t.Errorf("credentials sent upstream: %v, query %q", got, req.RawQuery)
					}
				}
				for k, vs := range c.client {
					if apis.ClientCredentials(http.Header{k: vs}) == nil && req.Header.Get(k) != vs[0] {
						t.Errorf("%s = %q upstream, want the caller's %q", k, req.Header.Get(k), vs[0])
					}
				}

				rows := f.rows()
				rec := rows[len(rows)-1]
				if len(rows)-before != 1 || rec.Status != 200 || !rec.Usage.Found || rec.CostNanos <= 0 {
					t.Fatalf("%d ledger rows, last %+v; want one metered, priced row", len(rows)-before, rec)
				}
				if rec.Capture == nil {
					t.Fatal("no capture")
				}
				for k := range apis.ClientCredentials(c.client) {
					if v := rec.Capture.RequestHeaders[k]; !reflect.DeepEqual(v, []string{"REDACTED"}) {
						t.Errorf("captured %s = %q, want REDACTED", k, v)
					}
				}
				if leaked := holds(rec.Capture.RequestHeaders, "", c.secrets()...); leaked != nil {
					t.Errorf("captured: %v", leaked)
				}
			})
		}
		// Every row's cost, and nothing else, came out of the bucket.
		var spent int64
		for _, r := range f.rows() {
			spent += r.CostNanos
		}
		b := f.qm.Balances(nil)
		if len(b) != 1 || b[0].ReservedNanos != 0 || f.capNs-b[0].BalanceNanos != spent || spent == 0 {
			t.Errorf("%s: bucket %+v after requests costing %d", mode, b, spent)
		}
	}
}

// A passthrough request without the caller's credential is answered 401
// in its own API's format, naming the provider, before any money is held
// or any request goes upstream.
func TestPassthroughWithoutCredentialIs401(t *testing.T) {
	f := newAuthModeFixture(t, config.AuthModePassthrough, "$10.00", nil)
	for _, c := range authCalls {
		t.Run(c.name, func(t *testing.T) {
			res, body := c.send(t, f.base, "", false)
			kind, msg := errorOf(t, c.api, body)
			wantKind := map[config.API]string{
				config.AnthropicMessages: "authentication_error", config.OpenAIChat: "authentication_error",
				config.OpenAIResponses: "authentication_error", config.GeminiGenerateContent: "UNAUTHENTICATED",
			}[c.api]
			if res.StatusCode != 401 || kind != wantKind {
				t.Errorf("got %d %s, want 401 %s", res.StatusCode, body, wantKind)
			}
			provider := strings.SplitN(c.name, " ", 2)[0]
			if provider == "chat" || provider == "responses" {
				provider = "openai"
			}
			if !strings.Contains(msg, "provider "+provider) || !strings.Contains(msg, "your own credential") {
				t.Errorf("message %q does not name provider %s and what it needs", msg, provider)
			}
		})
	}
	if n := f.fake.RequestCount(); n != 0 {
		t.Errorf("%d requests went upstream without a credential", n)
	}
	if rows := f.rows(); len(rows) != 0 {
		t.Errorf("ledger rows for refused requests: %d", len(rows))
	}
	f.untouched(t)
}

// errorOf decodes an error envelope in api's dialect: its type (Gemini:
// status) and message.
func errorOf(t *testing.T, api config.API, body string) (kind, msg string) {
	t.Helper()
	var e struct {
		Type  string `json:"type"`
		Error struct {
			Type, Status, Message string
			Code                  any
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	switch api {
	case config.AnthropicMessages:
		if e.Type != "error" {
			t.Errorf("not an Anthropic error: %s", body)
		}
		return e.Error.Type, e.Error.Message
	case config.GeminiGenerateContent:
		// Gemini repeats the HTTP status in its "code".
		if code, _ := e.Error.Code.(float64); e.Error.Status == "UNAUTHENTICATED" && code != 401 {
			t.Errorf("Gemini error code %v, want 401", e.Error.Code)
		}
		return e.Error.Status, e.Error.Message
	}
	return e.Error.Type, e.Error.Message
}

// Grants and spending limits do not depend on whose credential pays the
// provider: a passthrough caller still cannot use a model it is not
// granted, nor spend an empty bucket, and nothing goes upstream.
func TestPassthroughStillObeysGrantsAndQuotas(t *testing.T) {
	f := newAuthModeFixture(t, config.AuthModePassthrough, "$10.00", nil)
	res, body := authCalls[0].send(t, f.base, "claude-opus-4-1", true)
	if res.StatusCode != 404 || !strings.Contains(body, "not_found_error") {
		t.Errorf("model not granted: %d %s", res.StatusCode, body)
	}
	if n := f.fake.RequestCount(); n != 0 {
		t.Errorf("an ungranted model's request went upstream")
	}

	empty := newAuthModeFixture(t, config.AuthModePassthrough, "$0.00", nil)
	for _, c := range authCalls {
		t.Run(c.name, func(t *testing.T) {
			res, body := c.send(t, empty.base, "", true)
			if res.StatusCode != 429 {
				t.Errorf("empty bucket: %d %s", res.StatusCode, body)
			}
		})
	}
	if n := empty.fake.RequestCount(); n != 0 {
		t.Errorf("%d requests went upstream on an empty bucket", n)
	}
}

// echoingTransport fails every request with an error that quotes the
// credential it was given, as a broken proxy or TLS library might.
type echoingTransport struct{}

func (echoingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("proxy refused credential %q for %s", r.Header.Get("Authorization"), r.URL)
}

// An upstream error that echoes the caller's forwarded credential
// reaches neither the answer nor the ledger: both say only why in a few
// words, and the log has the error, redacted (upstreamError).
func TestPassthroughCredentialNotInUpstreamErrors(t *testing.T) {
	f := newAuthModeFixture(t, config.AuthModePassthrough, "$10.00", echoingTransport{})
	c := authCalls[0]
	res, body := c.send(t, f.base, "", true)
	if res.StatusCode != 502 || !strings.Contains(body, "cannot reach provider") || strings.Contains(body, "proxy refused") {
		t.Errorf("got %d %s, want 502 without the transport's error", res.StatusCode, body)
	}
	rec := f.sink.last()
	if rec == nil || rec.Status != 502 || strings.Contains(rec.Error, "proxy refused") {
		t.Fatalf("ledger row %+v, want a 502 without the transport's error", rec)
	}
	for _, s := range c.secrets() {
		if strings.Contains(body, s) || strings.Contains(rec.Error, s) {
			t.Errorf("%q in the answer or on the ledger:\n%s\n%s", s, body, rec.Error)
		}
	}
}

// passthroughDashConfig is an admin and a passthrough Claude provider,
// for the pages (a format string taking the fake provider's URL).
const passthroughDashConfig = `{
  "providers": {
    "claude": {"baseurl": "%[1]s", "auth_mode": "passthrough", "models": ["claude-sonnet-4-5"],
      "cost_basis": "anthropic", "compatibility": {"anthropic_messages": true}},
  },
  "grants": [{"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}}],
}`

// The Logs list and a request's detail page never show the caller's
// forwarded token; the detail shows its header as REDACTED (so the page
// did show the request's headers), and Settings shows the auth mode.
func TestPassthroughTokenNotOnPages(t *testing.T) {
	f := newDashFixtureWith(t, passthroughDashConfig)
	const token = "sk-ant-oat01-page-token-0123456789"
	res, body := do(t, "POST", f.url("alice", "/v1/messages"),
		`{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
		"Authorization", "Bearer "+token, "Anthropic-Beta", "oauth-2025-04-20")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if req, _ := f.fake.LastRequest(); req.Header.Get("Authorization") != "Bearer "+token {
		t.Fatalf("the token was not passed through: %v", req.Header)
	}
	_, logs := do(t, "GET", f.url("alice", "/ui/logs?user=alice%40example.com"), "")
	links := detailLinks(logs)
	if len(links) != 1 {
		t.Fatalf("detail links: %v\n%s", links, logs)
	}
	res, detail := do(t, "GET", f.url("alice", links[0]), "")
	if res.StatusCode != 200 {
		t.Fatalf("detail: %d %s", res.StatusCode, detail)
	}
	for name, page := range map[string]string{"logs": logs, "detail": detail} {
		if strings.Contains(page, token) {
			t.Errorf("the token is on the %s page", name)
		}
	}
	if !strings.Contains(detail, "REDACTED") || !strings.Contains(detail, "oauth-2025-04-20") {
		t.Errorf("the detail page does not show the request's headers, redacted:\n%s", detail)
	}
	_, settings := do(t, "GET", f.url("alice", "/ui/settings"), "")
	if !strings.Contains(settings, "passthrough") {
		t.Errorf("Settings does not show the provider's auth_mode")
	}
}
