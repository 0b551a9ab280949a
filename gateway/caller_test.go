package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
)

// adminFixture is a gateway with one tailnet front end per caller (each
// presenting its own peer address to WhoIs), a front end that calls the
// tailnet handler from 127.0.0.1 unchanged, and the local listener.
type adminFixture struct {
	fronts   map[string]string // login or "tailnet-127.0.0.1" -> URL
	localURL string
}

func newAdminFixture(t *testing.T, cfgText string, admins ...string) *adminFixture {
	t.Helper()
	t.Setenv("OPENAI_API_KEY", "sk-openai")
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant")
	cfg, diags, err := config.Parse([]byte(cfgText))
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	who := fakeWhoIs{
		"100.64.0.1": user("alice@example.com"),
		"100.64.0.2": user("bob@example.com"),
		"100.64.0.4": tagged("tag:ci"),
	}
	gw, err := New(cfg, []byte(cfgText), Options{WhoIs: who.whois, Admins: admins, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	f := &adminFixture{fronts: map[string]string{}}
	serve := func(h http.Handler) string {
		ts := httptest.NewServer(h)
		t.Cleanup(ts.Close)
		return ts.URL
	}
	for ip, w := range who {
		f.fronts[w.UserProfile.LoginName] = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.RemoteAddr = ip + ":41641"
			gw.ServeHTTP(w, r)
		}))
	}
	// A local proxy in front of the tailnet handler: the caller's address
	// is 127.0.0.1, which WhoIs does not know.
	f.fronts["tailnet-127.0.0.1"] = serve(gw)
	f.localURL = serve(gw.LocalHandler())
	return f
}

// whoami is the caller's principal and role at base, or the status when
// the gateway refused to say.
func whoami(t *testing.T, base string) (principal, role string, status int) {
	t.Helper()
	res, body := do(t, "GET", base+"/api/whoami", "")
	if res.StatusCode != 200 {
		return "", "", res.StatusCode
	}
	var w struct{ Principal, Role string }
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatalf("whoami: %v %s", err, body)
	}
	return w.Principal, w.Role, 200
}

// loopbackAdminConfig is the default config with an explicit admin grant
// for the local listener, as an operator would write it.
var loopbackAdminConfig = strings.Replace(config.DefaultConfigText, `"grants": [`,
	`"grants": [{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}},`, 1)

// TestWhoIsAdmin pins who is an admin on a fresh gateway: nobody but the
// logins the operator named (--admin) and, when the operator says so
// (--local-admin or an explicit grant), the local listener. Everyone else
// on the tailnet is a user with the default models, so the seed page's
// first requests work for them; a request on the tailnet handler from
// 127.0.0.1 (a local proxy) is never "(loopback)".
func TestWhoIsAdmin(t *testing.T) {
	tests := []struct {
		name   string
		cfg    string
		admins []string // Options.Admins: --admin, and "(loopback)" for --local-admin
		caller string   // login, "local" or "tailnet-127.0.0.1"
		want   string   // role, or "refused"
	}{
		{"default config: a tailnet member is a user", config.DefaultConfigText, nil, "bob@example.com", "user"},
		{"default config: a tagged device is a user", config.DefaultConfigText, nil, "tagged-devices", "user"},
		{"default config: the local listener is a user", config.DefaultConfigText, nil, "local", "user"},
		{"default config: a local proxy to the tailnet handler is nobody", config.DefaultConfigText, nil, "tailnet-127.0.0.1", "refused"},
		{"--admin alice: alice is an admin", config.DefaultConfigText, []string{"alice@example.com"}, "alice@example.com", "admin"},
		{"--admin alice: logins match case-insensitively", config.DefaultConfigText, []string{"Alice@Example.com"}, "alice@example.com", "admin"},
		{"--admin alice: bob is still a user", config.DefaultConfigText, []string{"alice@example.com"}, "bob@example.com", "user"},
		{"--admin alice: the local listener is still a user", config.DefaultConfigText, []string{"alice@example.com"}, "local", "user"},
		{"--admin tag:ci: the tagged device is an admin", config.DefaultConfigText, []string{"tag:ci"}, "tagged-devices", "admin"},
		{"--local-admin: the local listener is an admin", config.DefaultConfigText, []string{identity.Loopback}, "local", "admin"},
		{"--local-admin: tailnet members are not", config.DefaultConfigText, []string{identity.Loopback}, "bob@example.com", "user"},
		{"--local-admin: a local proxy to the tailnet handler is nobody", config.DefaultConfigText, []string{identity.Loopback}, "tailnet-127.0.0.1", "refused"},
		{"(loopback) admin grant: the local listener is an admin", loopbackAdminConfig, nil, "local", "admin"},
		{"(loopback) admin grant: a local proxy to the tailnet handler is nobody", loopbackAdminConfig, nil, "tailnet-127.0.0.1", "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAdminFixture(t, tt.cfg, tt.admins...)
			base := f.localURL
			if tt.caller != "local" {
				base = f.fronts[tt.caller]
			}
			principal, role, status := whoami(t, base)
			if status != 200 {
				role = "refused"
			}
			if role != tt.want {
				t.Fatalf("%s: role %q (principal %q, status %d), want %q", tt.caller, role, principal, status, tt.want)
			}
			if tt.caller == "tailnet-127.0.0.1" && principal == identity.Loopback {
				t.Fatalf("a tailnet request from 127.0.0.1 became %q", principal)
			}
			// The role holds on the endpoints that matter: only admins read
			// the config, and users (everyone) may use the default models.
			res, body := do(t, "GET", base+"/api/config", "")
			if wantStatus := map[string]int{"admin": 200, "user": 403, "refused": 403}[tt.want]; res.StatusCode != wantStatus {
				t.Errorf("GET /api/config = %d, want %d: %s", res.StatusCode, wantStatus, body)
			}
			if tt.want == "refused" {
				return
			}
			res, body = do(t, "GET", base+"/v1/models", "")
			if res.StatusCode != 200 || !strings.Contains(body, "claude-haiku-4-5-20251001") {
				t.Errorf("GET /v1/models = %d: %s", res.StatusCode, body)
			}
		})
	}
}

// TestOperatorAdminSurvivesConfig checks that an --admin login stays an
// admin under a config that grants it nothing, so a config save or an
// edit of the file cannot lock the operator out.
func TestOperatorAdminSurvivesConfig(t *testing.T) {
	const noAdmins = `{"providers": {"a": {"baseurl": "http://127.0.0.1:1", "models": ["m"],
		"compatibility": {"openai_chat": true}}},
		"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**"}]}}]}`
	f := newAdminFixture(t, noAdmins, "alice@example.com")
	if _, role, _ := whoami(t, f.fronts["alice@example.com"]); role != "admin" {
		t.Errorf("--admin alice under a config without admins: role %q", role)
	}
	if _, role, _ := whoami(t, f.fronts["bob@example.com"]); role != "user" {
		t.Errorf("bob: role %q", role)
	}
}

// notAdmin tells a non-admin who they are and how to become an admin,
// with their own login in the flag and the grant.
func TestNotAdminSaysHowToAddAdmins(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		front string
		want  []string
	}{
		{"bob", []string{"the config API needs the admin role", "bob@example.com with role user",
			"--admin bob@example.com", `"src": ["bob@example.com"]`}},
		{"ci", []string{"tag:ci,tag:prod with role user", "--admin tag:ci,tag:prod"}},
	} {
		req := httptest.NewRequest("GET", "/api/config", nil)
		req.RemoteAddr = map[string]string{"bob": "100.64.0.2:1", "ci": "100.64.0.4:1"}[tt.front]
		c, err := f.gw.identify(req.WithContext(withSource(req.Context(), sourceTailnet)))
		if err != nil {
			t.Fatal(err)
		}
		msg := c.notAdmin("the config API")
		for _, want := range tt.want {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message lacks %q: %s", tt.front, want, msg)
			}
		}
	}
	req := httptest.NewRequest("GET", "/api/config", nil)
	c, err := f.gw.identify(req.WithContext(withSource(req.Context(), sourceLoopback)))
	if err != nil {
		t.Fatal(err)
	}
	if msg := c.notAdmin("the config API"); !strings.Contains(msg, "--local-admin") || strings.Contains(msg, "--admin (loopback)") {
		t.Errorf("loopback: %s", msg)
	}
}

// The admin endpoints' 403 tells a user how to become an admin.
func TestAdminEndpointsSayHowToBecomeAdmin(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ method, path string }{{"GET", "/api/config"}, {"POST", "/api/quotas/refill"}} {
		res, body := do(t, c.method, f.url("bob", c.path), `{}`, "X-Aperture-CSRF", "1")
		if res.StatusCode != 403 || !strings.Contains(body, "--admin bob@example.com") {
			t.Errorf("%s %s: %d %s", c.method, c.path, res.StatusCode, body)
		}
	}
}
