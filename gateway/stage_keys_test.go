package gateway

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// keylessConfig has one provider per API whose env: key is not set, and
// a keyed one ("backup") serving one Anthropic model too; the loopback
// caller may use every model.
const keylessConfig = `{
  "providers": {
    "anthropic": {"baseurl": %[1]q, "apikey": "env:APERTURE_TEST_NO_ANTHROPIC_KEY", "authorization": "x-api-key",
      "models": ["claude-sonnet-4-5", "claude-opus-5-5"], "compatibility": {"anthropic_messages": true}, "preference": 10},
    "openai": {"baseurl": %[1]q, "apikey": "env:APERTURE_TEST_NO_OPENAI_KEY",
      "models": ["gpt-5"], "compatibility": {"openai_chat": true, "openai_responses": true}},
    "gemini": {"baseurl": %[1]q, "apikey": "file:/nonexistent/aperture-test/gemini.key", "authorization": "x-goog-api-key",
      "models": ["gemini-2.5-pro"], "compatibility": {"gemini_generate_content": true}},
    "backup": {"baseurl": %[1]q, "apikey": "sk-backup", "authorization": "x-api-key",
      "models": ["claude-opus-5-5"], "compatibility": {"anthropic_messages": true}},
    "local": {"baseurl": %[1]q, "auth_mode": "none", "models": ["llama"], "compatibility": {"openai_chat": true}},
  },
  "grants": [{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**"}]}}],
}`

func keylessGateway(t *testing.T, format string) (*fakellm.Server, *Server, string) {
	t.Helper()
	t.Setenv("APERTURE_TEST_NO_ANTHROPIC_KEY", "")
	t.Setenv("APERTURE_TEST_NO_OPENAI_KEY", "")
	fake := fakellm.New(fakellm.WithRequiredKey(""))
	up := httptest.NewServer(fake.Handler())
	t.Cleanup(up.Close)
	src := []byte(fmt.Sprintf(format, up.URL))
	cfg, diags, err := config.Parse(src)
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	gw, err := New(cfg, src, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(front.Close)
	return fake, gw, front.URL
}

// A provider that must send its own key and has none answers every
// request for it 503, in the caller's API's own error format, naming the
// provider and the missing variable or file, and sends nothing upstream
// (where it would come back as the provider's 401, looking like the
// client's fault).
func TestKeylessProviderAnswers503InDialect(t *testing.T) {
	fake, _, base := keylessGateway(t, keylessConfig)
	for _, tt := range []struct {
		name, path, body string
		want             []string // in the body
	}{
		{"anthropic", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`,
			[]string{`"type":"error"`, `"type":"overloaded_error"`, `provider \"anthropic\"`, "APERTURE_TEST_NO_ANTHROPIC_KEY", "aperture install --env"}},
		{"openai chat", "/v1/chat/completions", `{"model":"gpt-5","messages":[]}`,
			[]string{`"type":"server_error"`, `"code":"service_unavailable"`, `provider \"openai\"`, "APERTURE_TEST_NO_OPENAI_KEY"}},
		{"openai responses", "/v1/responses", `{"model":"gpt-5","input":"hi"}`,
			[]string{`"type":"server_error"`, `provider \"openai\"`, "APERTURE_TEST_NO_OPENAI_KEY"}},
		{"gemini", "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[]}`,
			[]string{`"code":503`, `"status":"UNAVAILABLE"`, `provider \"gemini\"`, "file:/nonexistent/aperture-test/gemini.key"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, "POST", base+tt.path, tt.body)
			if res.StatusCode != 503 {
				t.Fatalf("%d %s; want 503", res.StatusCode, body)
			}
			compact := strings.ReplaceAll(strings.ReplaceAll(body, "\n", ""), ": ", ":")
			for _, w := range tt.want {
				if !strings.Contains(compact, w) {
					t.Errorf("answer lacks %s: %s", w, body)
				}
			}
			if !json.Valid([]byte(body)) {
				t.Errorf("not JSON: %s", body)
			}
		})
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d requests went upstream without a key", n)
	}
	// A keyless provider is no obstacle where another that has its key
	// serves the model, nor to a provider that needs no key.
	if res, body := do(t, "POST", base+"/v1/messages", `{"model":"claude-opus-5-5","max_tokens":5,"messages":[]}`); res.StatusCode != 200 {
		t.Errorf("model also served by a keyed provider: %d %s", res.StatusCode, body)
	} else if r, _ := fake.LastRequest(); r.Header.Get("X-Api-Key") != "sk-backup" {
		t.Errorf("the keyed provider's key was not sent: %v", r.Header)
	}
	if res, body := do(t, "POST", base+"/v1/chat/completions", `{"model":"llama","messages":[]}`); res.StatusCode != 200 {
		t.Errorf("auth_mode none provider: %d %s", res.StatusCode, body)
	}
}

// /healthz names each provider that cannot serve for want of its key,
// and is 503 only when no enabled provider can serve at all.
func TestHealthzReportsKeylessProviders(t *testing.T) {
	_, _, base := keylessGateway(t, keylessConfig)
	res, body := do(t, "GET", base+"/healthz", "")
	if res.StatusCode != 200 || !strings.HasPrefix(body, "ok\n") {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
	for _, w := range []string{"provider anthropic: unavailable", "APERTURE_TEST_NO_ANTHROPIC_KEY", "provider openai: unavailable",
		"APERTURE_TEST_NO_OPENAI_KEY", "provider gemini: unavailable"} {
		if !strings.Contains(body, w) {
			t.Errorf("/healthz lacks %q:\n%s", w, body)
		}
	}
	if strings.Contains(body, "backup") || strings.Contains(body, "local") {
		t.Errorf("/healthz lists providers that can serve:\n%s", body)
	}

	onlyKeyless := `{"providers": {"anthropic": {"baseurl": %[1]q, "apikey": "env:APERTURE_TEST_NO_ANTHROPIC_KEY",
	  "models": ["claude-sonnet-4-5"], "compatibility": {"anthropic_messages": true}}}}`
	_, _, base = keylessGateway(t, onlyKeyless)
	res, body = do(t, "GET", base+"/healthz", "")
	if res.StatusCode != 503 || !strings.Contains(body, "no enabled provider can serve") || !strings.Contains(body, "APERTURE_TEST_NO_ANTHROPIC_KEY") {
		t.Errorf("every provider keyless: %d %q", res.StatusCode, body)
	}
}

// The config's diagnostics (Settings, the config API, aperture validate)
// say what a keyless provider does, once per provider, as a warning.
func TestKeyDiagnostics(t *testing.T) {
	t.Setenv("APERTURE_TEST_NO_ANTHROPIC_KEY", "")
	src := []byte(`{
  "providers": {
    "anthropic": {"baseurl": "https://a", "apikey": "env:APERTURE_TEST_NO_ANTHROPIC_KEY", "models": ["m"]},
    "bare": {"baseurl": "https://b", "models": ["m"]},
    "local": {"baseurl": "http://127.0.0.1:1", "auth_mode": "none", "models": ["m"]},
    "off": {"baseurl": "https://c", "models": ["m"], "disabled": true},
  },
}`)
	cfg, diags, err := config.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	got := KeyDiagnostics(cfg, src, diags)
	var msgs []string
	for _, d := range got {
		if d.Severity != config.Warning {
			t.Errorf("%v: want a warning", d)
		}
		msgs = append(msgs, d.Path+" @"+fmt.Sprint(d.Line)+": "+d.Message)
	}
	text := strings.Join(msgs, "\n")
	for _, w := range []string{
		"providers.anthropic.apikey @3: provider \"anthropic\" has no API key: environment variable APERTURE_TEST_NO_ANTHROPIC_KEY",
		"providers.bare @4: provider \"bare\" has no API key: its config sets no apikey",
		"answered 503",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("diagnostics lack %q:\n%s", w, text)
		}
	}
	if strings.Count(text, "answered 503") != 2 || strings.Contains(text, "local") || strings.Contains(text, "off") {
		t.Errorf("want one note for each of anthropic and bare only:\n%s", text)
	}
}

// An unknown model's 404 lists, in the caller's dialect, the models the
// caller may use over that API and how the usual client picks one.
func TestUnknownModelListsModels(t *testing.T) {
	_, _, base := keylessGateway(t, keylessConfig)
	for _, tt := range []struct {
		name, path, body string
		want             []string
		not              string
	}{
		{"anthropic", "/v1/messages", `{"model":"claude-nope","max_tokens":5,"messages":[]}`,
			[]string{`"not_found_error"`, `model \"claude-nope\" is not served`, "you may use: claude-sonnet-4-5, claude-opus-5-5 (", "ANTHROPIC_MODEL", "--model"}, "gpt-5"},
		{"openai responses", "/v1/responses", `{"model":"gpt-nope","input":"hi"}`,
			[]string{`"model_not_found"`, "you may use: gpt-5 (", "Codex", "config.toml"}, "claude"},
		{"openai chat", "/v1/chat/completions", `{"model":"gpt-nope","messages":[]}`,
			[]string{"you may use: llama, gpt-5 ("}, "claude"},
		{"gemini", "/v1beta/models/gemini-nope:generateContent", `{"contents":[]}`,
			[]string{`"NOT_FOUND"`, "you may use: gemini-2.5-pro (", "GEMINI_MODEL"}, "gpt-5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, "POST", base+tt.path, tt.body)
			if res.StatusCode != 404 {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
			compact := strings.ReplaceAll(strings.ReplaceAll(body, "\n", ""), ": ", ":")
			for _, w := range tt.want {
				if !strings.Contains(compact, strings.ReplaceAll(w, ": ", ":")) {
					t.Errorf("404 lacks %s: %s", w, body)
				}
			}
			if strings.Contains(body, tt.not) {
				t.Errorf("404 lists a model of another API (%s): %s", tt.not, body)
			}
		})
	}
}
