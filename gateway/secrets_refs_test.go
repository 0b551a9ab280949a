package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// secretsConfig has a secret of every kind an admin view masks: a literal
// key, provider and grant add_headers values, credentials in a baseurl,
// and a file: key the host's admin wrote.
const secretsConfig = `// secrets test config
{
  "providers": {
    "anthropic": {
      "baseurl": "%[1]s",
      "apikey": "sk-ant-literal-provider-key-0123456789",
      "models": ["claude-haiku-4-5-20251001"],
      "authorization": "x-api-key",
      "compatibility": {"anthropic_messages": true},
      "add_headers": ["X-Provider-Secret: hdr-provider-secret-0123456789"],
    },
    "openai": {
      "baseurl": "%[1]s/v1",
      "apikey": "file:openai.key",
      "models": ["gpt-4o"],
      "compatibility": {"openai_chat": true},
    },
    "creds": {
      "baseurl": "http://creduser:url-secret-password@127.0.0.1:9/v1",
      "models": ["cred-model"],
    },
  },
  "grants": [
    {"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**", "add_headers": ["X-Grant-Secret: grant-secret-value-0123456789"]}]}},
    {"src": ["bob@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "anthropic/**"}]}},
  ],
}
`

// The literal secrets of secretsConfig and their masks as admins see them.
var (
	secretsLiterals = []string{"sk-ant-literal-provider-key-0123456789", "hdr-provider-secret-0123456789",
		"grant-secret-value-0123456789", "url-secret-password", "creduser"}
	secretsMasked = []string{`"apikey": "sk-a…(masked)"`, `"X-Provider-Secret: hdr-…(masked)"`,
		`"X-Grant-Secret: gran…(masked)"`, `"baseurl": "http://…(masked)@127.0.0.1:9/v1"`, `"apikey": "file:openai.key"`}
)

// attacker is a server a config admin controls: it records every request.
type attacker struct {
	*httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

func newAttacker(t *testing.T) *attacker {
	a := &attacker{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen = append(a.seen, r.Header.Clone())
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"x","object":"chat.completion","choices":[]}`)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *attacker) requests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seen)
}

// maskedConfig is the running config as GET /api/config shows it.
func maskedConfig(t *testing.T, f *dashFixture) configAnswer {
	t.Helper()
	res, body := do(t, "GET", f.url("alice", "/api/config"), "")
	if res.StatusCode != 200 {
		t.Fatalf("GET /api/config: %d %s", res.StatusCode, body)
	}
	return decodeAnswer(t, body)
}

// upstreamURL is the fake provider's URL (the anthropic baseurl).
func upstreamURL(f *dashFixture) string {
	cfg, _ := f.gw.Config()
	return cfg.Providers["anthropic"].BaseURL
}

// addProvider inserts a provider entry at the top of the providers map.
func addProvider(text, entry string) string {
	return strings.Replace(text, `"providers": {`, `"providers": {`+"\n    "+entry+",", 1)
}

// mustReplace is strings.Replace that fails the test when old is absent,
// so an edit that silently does nothing cannot make a case pass.
func mustReplace(t *testing.T, s, old, repl string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("%q not in the config:\n%s", old, s)
	}
	return strings.Replace(s, old, repl, 1)
}

// TestSaveRefusesSecretsLeavingTheHost: a config admin cannot make the
// gateway read a reference its host admin did not allow, nor send a
// stored (masked) secret anywhere it did not go before. Each save is
// refused with a diagnostic naming the field, nothing is resolved, and
// the attacker's server never hears from the gateway.
func TestSaveRefusesSecretsLeavingTheHost(t *testing.T) {
	const leak = "tsplug-leaked-env-value-5f0c2e"
	t.Setenv("TSPLUG_TEST_LEAK", leak)
	secretFile := filepath.Join(t.TempDir(), "host-secret")
	const fileLeak = "tsplug-leaked-file-value-9a71d4"
	if err := os.WriteFile(secretFile, []byte(fileLeak), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newDashFixtureWith(t, secretsConfig)
	evil := newAttacker(t)
	cur := maskedConfig(t, f)
	evilProvider := func(apikey string, extra ...string) string {
		return fmt.Sprintf(`"evil": {"baseurl": %q, "apikey": %q, "models": ["evil-model"]%s}`, evil.URL, apikey, strings.Join(extra, ""))
	}
	capPath := `grants[0].app["tailscale.com/cap/aperture"][1]`
	tests := []struct {
		name, path string
		edit       func(t *testing.T, s string) string
		want       []string // in the diagnostic at path
	}{
		{"env apikey", "providers.evil.apikey",
			func(t *testing.T, s string) string { return addProvider(s, evilProvider("env:TSPLUG_TEST_LEAK")) },
			[]string{`provider "evil"`, `apikey "env:TSPLUG_TEST_LEAK"`, "environment variable TSPLUG_TEST_LEAK", "host's admin allowed", allowSecretRefFlag, f.path}},
		{"env:HOME", "providers.evil.apikey",
			func(t *testing.T, s string) string { return addProvider(s, evilProvider("env:HOME")) },
			[]string{`provider "evil"`, "environment variable HOME"}},
		{"file:/etc/passwd", "providers.evil.apikey",
			func(t *testing.T, s string) string { return addProvider(s, evilProvider("file:/etc/passwd")) },
			[]string{`provider "evil"`, "file /etc/passwd"}},
		{"file of the host", "providers.evil.apikey",
			func(t *testing.T, s string) string { return addProvider(s, evilProvider("file:"+secretFile)) },
			[]string{"file " + secretFile}},
		{"missing file is not even looked at", "providers.evil.apikey",
			func(t *testing.T, s string) string {
				return addProvider(s, evilProvider("file:/nonexistent/tsplug-test-key"))
			},
			[]string{"host's admin allowed"}},
		{"provider add_headers env", "providers.evil.add_headers[0]",
			func(t *testing.T, s string) string {
				return addProvider(s, evilProvider("own-key", `, "add_headers": ["X-Leak: env:TSPLUG_TEST_LEAK"]`))
			},
			[]string{`provider "evil"`, "add_headers[0]", "sent as written"}},
		{"grant add_headers env", capPath + ".add_headers[1]",
			func(t *testing.T, s string) string {
				return mustReplace(t, s, `"X-Grant-Secret: gran…(masked)"`, `"X-Grant-Secret: gran…(masked)", "X-Leak: env:TSPLUG_TEST_LEAK"`)
			},
			[]string{"grant capability", "env:TSPLUG_TEST_LEAK"}},
		{"hook apikey env", "hooks.leak.apikey",
			func(t *testing.T, s string) string {
				return mustReplace(t, s, `"grants": [`, fmt.Sprintf(`"hooks": {"leak": {"url": %q, "apikey": "env:TSPLUG_TEST_LEAK"}},`+"\n  \"grants\": [", evil.URL))
			},
			[]string{`hook "leak"`}},
		{"host reference sent to another server", "providers.evil.apikey",
			func(t *testing.T, s string) string { return addProvider(s, evilProvider("file:openai.key")) },
			[]string{`apikey "file:openai.key"`, "for another server"}},
		{"masked key moved to another provider", "providers.evil.apikey",
			func(t *testing.T, s string) string { return addProvider(s, evilProvider("sk-a…(masked)")) },
			[]string{"matches no stored value in this place"}},
		{"masked key kept, baseurl changed", "providers.anthropic.apikey",
			func(t *testing.T, s string) string {
				return mustReplace(t, s, fmt.Sprintf(`"baseurl": %q,`, upstreamURL(f)), fmt.Sprintf(`"baseurl": %q,`, evil.URL))
			},
			[]string{"baseurl changed"}},
		{"provider renamed with its masked key", "providers.anthropic2.apikey",
			func(t *testing.T, s string) string { return mustReplace(t, s, `"anthropic": {`, `"anthropic2": {`) },
			[]string{"matches no stored value in this place"}},
		{"masked header moved to another provider", "providers.evil.add_headers[0]",
			func(t *testing.T, s string) string {
				return addProvider(s, evilProvider("own-key", `, "add_headers": ["X-Provider-Secret: hdr-…(masked)"]`))
			},
			[]string{"masked header value matches no stored value"}},
		{"masked header kept, baseurl changed", "providers.anthropic.add_headers[0]",
			func(t *testing.T, s string) string {
				return mustReplace(t, s, fmt.Sprintf(`"baseurl": %q,`, upstreamURL(f)), fmt.Sprintf(`"baseurl": %q,`, evil.URL))
			},
			[]string{"baseurl changed"}},
		{"grant header would reach a new provider", capPath + ".add_headers[0]",
			func(t *testing.T, s string) string { return addProvider(s, evilProvider("own-key")) },
			[]string{`sent to provider "evil"`}},
		{"grant header would reach a moved provider", capPath + ".add_headers[0]",
			func(t *testing.T, s string) string {
				return mustReplace(t, s, `"baseurl": "http://…(masked)@127.0.0.1:9/v1"`, fmt.Sprintf(`"baseurl": %q`, evil.URL))
			},
			[]string{`sent to provider "creds"`}},
		{"masked URL credentials to another host", "providers.creds.baseurl",
			func(t *testing.T, s string) string {
				return mustReplace(t, s, `"http://…(masked)@127.0.0.1:9/v1"`, `"`+strings.Replace(evil.URL, "http://", "http://…(masked)@", 1)+`"`)
			},
			[]string{"masked credentials in this URL matches no stored value"}},
		{"masked URL credentials moved to another provider", "providers.evil.baseurl",
			func(t *testing.T, s string) string {
				return addProvider(s, `"evil": {"baseurl": "http://…(masked)@127.0.0.1:9/v1", "models": ["evil-model"]}`)
			},
			[]string{"masked credentials in this URL matches no stored value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.edit(t, cur.Config)
			res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(text, cur.Hash), csrf...)
			if res.StatusCode != 422 {
				t.Fatalf("save: %d %s", res.StatusCode, body)
			}
			checkRefusal(t, decodeAnswer(t, body), tt.path, tt.want)
			for _, secret := range []string{leak, fileLeak, "root:x:0:0"} {
				if strings.Contains(body, secret) {
					t.Errorf("the answer holds a secret of the host: %s", body)
				}
			}
			res, body = do(t, "POST", f.url("alice", "/api/config/validate"), putBody(text, ""), csrf...)
			if a := decodeAnswer(t, body); res.StatusCode != 200 || a.Valid {
				t.Errorf("validate: %d %s", res.StatusCode, body)
			} else {
				checkRefusal(t, a, tt.path, tt.want)
			}
			if _, src := f.gw.Config(); config.Hash(src) != cur.Hash {
				t.Errorf("the refused save changed the running config")
			}
			if file, _ := os.ReadFile(f.path); config.Hash(file) != cur.Hash {
				t.Errorf("the refused save changed the config file")
			}
		})
	}
	for _, model := range []string{"evil-model", "gpt-4o"} {
		do(t, "POST", f.url("alice", "/v1/chat/completions"), `{"model":"`+model+`","messages":[]}`)
	}
	if n := evil.requests(); n != 0 {
		t.Errorf("the attacker's server got %d requests", n)
	}
	cfg, _ := f.gw.Config()
	for id, p := range cfg.Providers {
		if p.APIKey == leak || p.APIKey == fileLeak {
			t.Errorf("provider %s holds a secret of the host", id)
		}
	}
}

// checkRefusal finds the diagnostic at path saying each of want and
// checks that it is a located error; no diagnostic may come from
// resolving a reference (the refusal comes before).
func checkRefusal(t *testing.T, a configAnswer, path string, want []string) {
	t.Helper()
	var d *diagJSON
	for i := range a.Diagnostics {
		if m := a.Diagnostics[i].Message; strings.Contains(m, "is not set") || strings.Contains(m, "reading key file") {
			t.Errorf("a reference was resolved: %s", m)
		}
		if a.Diagnostics[i].Path != path {
			continue
		}
		says := true
		for _, w := range want {
			says = says && strings.Contains(a.Diagnostics[i].Message, w)
		}
		if says {
			d = &a.Diagnostics[i]
		}
	}
	if d == nil {
		t.Fatalf("no diagnostic at %s saying %q: %+v", path, want, a.Diagnostics)
	}
	if d.Severity != "error" || d.Line == 0 || d.Column == 0 {
		t.Errorf("diagnostic = %+v", *d)
	}
}

// TestSaveUsesAllowedSecretRefs: references the host's admin allowed,
// by pattern or by writing them into the config file (also after the
// gateway started), save and reach the provider they were given for.
func TestSaveUsesAllowedSecretRefs(t *testing.T) {
	const allowed = "tsplug-allowed-env-value-31d8"
	t.Setenv("TSPLUG_ALLOWED_KEY", allowed)
	const later = "tsplug-disk-env-value-77b2"
	t.Setenv("TSPLUG_DISK_KEY", later)
	tests := []struct {
		name    string
		prepare func(t *testing.T, f *dashFixture)
		edit    func(t *testing.T, f *dashFixture, text string) string
		model   string
		key     string // the Authorization the fake must see
	}{
		{"allow-list pattern",
			func(t *testing.T, f *dashFixture) {
				refs, err := newSecretRefPolicy([]string{"env:TSPLUG_ALLOWED_*"}, f.path)
				if err != nil {
					t.Fatal(err)
				}
				_, src := f.gw.Config()
				refs.approveText(src)
				f.gw.refs = refs
			},
			func(t *testing.T, f *dashFixture, text string) string {
				// The "**" grant's header would reach the new provider:
				// it is entered again rather than kept masked.
				text = mustReplace(t, text, `"X-Grant-Secret: gran…(masked)"`, `"X-Grant-Secret: entered-again"`)
				return addProvider(text, fmt.Sprintf(`"extra": {"baseurl": "%s/v1", "apikey": "env:TSPLUG_ALLOWED_KEY", "models": ["extra-model"]}`, upstreamURL(f)))
			},
			"extra-model", "Bearer " + allowed},
		{"in the file the gateway started with",
			func(t *testing.T, f *dashFixture) {},
			func(t *testing.T, f *dashFixture, text string) string {
				return mustReplace(t, text, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "gpt-4o-mini"]`)
			},
			"gpt-4o-mini", "Bearer sk-openai-from-file"},
		{"written into the file later by the host's admin",
			func(t *testing.T, f *dashFixture) {
				_, src := f.gw.Config()
				edited := strings.Replace(string(src), `"apikey": "file:openai.key"`, `"apikey": "env:TSPLUG_DISK_KEY"`, 1)
				if err := os.WriteFile(f.path, []byte(edited), 0o600); err != nil {
					t.Fatal(err)
				}
				if !f.gw.ReloadFrom(f.path, []byte(edited)) {
					t.Fatal("reload failed")
				}
			},
			func(t *testing.T, f *dashFixture, text string) string {
				return mustReplace(t, text, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "gpt-4o-mini"]`)
			},
			"gpt-4o-mini", "Bearer " + later},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDashFixtureWith(t, secretsConfig)
			tt.prepare(t, f)
			cur := maskedConfig(t, f)
			res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(tt.edit(t, f, cur.Config), cur.Hash), csrf...)
			if res.StatusCode != 200 {
				t.Fatalf("save: %d %s", res.StatusCode, body)
			}
			if res, body := do(t, "POST", f.url("alice", "/v1/chat/completions"), `{"model":"`+tt.model+`","messages":[]}`); res.StatusCode != 200 {
				t.Fatalf("request: %d %s", res.StatusCode, body)
			}
			last, _ := f.fake.LastRequest()
			if got := last.Header.Get("Authorization"); got != tt.key {
				t.Errorf("the provider got Authorization %q, want %q", got, tt.key)
			}
		})
	}
}

func TestAllowedSecretRefsOption(t *testing.T) {
	cfg, _, err := config.Parse([]byte(`{"providers": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"HOME", "env:", "file:", "env:[", "sk-literal"} {
		if _, err := New(cfg, []byte(`{"providers": {}}`), Options{AllowedSecretRefs: []string{bad}, Logf: t.Logf}); err == nil {
			t.Errorf("New accepted the allowed reference %q", bad)
		}
	}
	s, err := New(cfg, []byte(`{"providers": {}}`), Options{AllowedSecretRefs: []string{"env:ANTHROPIC_*", "file:/etc/aperture/keys/*"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want bool
	}{
		{"env:ANTHROPIC_API_KEY", true},
		{"env:TS_AUTHKEY", false},
		{"file:/etc/aperture/keys/openai", true},
		{"file:/etc/aperture/keys/../../shadow", false},
		{"file:/etc/aperture/keys/sub/k", false},
	}
	for _, tt := range tests {
		if got, _ := s.refs.allows(tt.ref, "https://anywhere.example"); got != tt.want {
			t.Errorf("allows(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
}

// TestRoutesTo checks the grant rule config.UnmaskSecrets is given: a
// capability reaches the providers its globs' first segment matches.
func TestRoutesTo(t *testing.T) {
	tests := []struct {
		globs []string
		id    string
		want  bool
	}{
		{nil, "a", true},
		{[]string{"**"}, "a", true},
		{[]string{"a/**"}, "a", true},
		{[]string{"a*/m"}, "ab", true},
		{[]string{"b/**"}, "a", false},
		{[]string{}, "a", false},
	}
	for _, tt := range tests {
		if got := routesTo(tt.globs, tt.id); got != tt.want {
			t.Errorf("routesTo(%q, %q) = %v, want %v", tt.globs, tt.id, got, tt.want)
		}
	}
}
