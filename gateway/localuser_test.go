package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

func TestLocalUserOf(t *testing.T) {
	shared := []string{"tag:lab"}
	lab := identity.Identity{NodeName: "lab", Tags: []string{"tag:kiosk", "tag:lab"}}
	ci := identity.Identity{NodeName: "ci", Tags: []string{"tag:ci"}}
	alice := identity.Identity{LoginName: "alice@example.com", NodeName: "alice-laptop"}
	tests := []struct {
		name   string
		id     identity.Identity
		shared []string
		header map[string][]string
		want   string
	}{
		{"shared device names its user", lab, shared, map[string][]string{headerLocalUser: {"alice"}}, "alice"},
		{"non-ASCII name, encoded by the tunnel", lab, shared, map[string][]string{headerLocalUser: {"=?utf-8?q?j=C3=B6rg?="}}, "jörg"},
		{"shared device without the header", lab, shared, nil, unknownLocalUser},
		{"two values", lab, shared, map[string][]string{headerLocalUser: {"alice", "bob"}}, unknownLocalUser},
		{"another spelling is not the tunnel's", lab, shared, map[string][]string{"Tailscale_local_user": {"alice"}}, unknownLocalUser},
		{"empty", lab, shared, map[string][]string{headerLocalUser: {""}}, unknownLocalUser},
		{"control character", lab, shared, map[string][]string{headerLocalUser: {"=?utf-8?q?a=0Ab?="}}, unknownLocalUser},
		{"too long", lab, shared, map[string][]string{headerLocalUser: {strings.Repeat("a", maxLocalUser+1)}}, unknownLocalUser},
		{"bad encoding", lab, shared, map[string][]string{headerLocalUser: {"=?utf-8?x?zz?="}}, unknownLocalUser},
		{"tagged device not marked shared", ci, shared, map[string][]string{headerLocalUser: {"alice"}}, ""},
		{"user's device", alice, shared, map[string][]string{headerLocalUser: {"mallory"}}, ""},
		{"user's device whose login looks like a tag", alice, []string{"alice@example.com"}, map[string][]string{headerLocalUser: {"mallory"}}, ""},
		{"no shared tags configured", lab, nil, map[string][]string{headerLocalUser: {"alice"}}, ""},
		{"loopback", identity.LoopbackIdentity(), shared, map[string][]string{headerLocalUser: {"alice"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
			for k, v := range tt.header {
				r.Header[k] = v
			}
			if got := localUserOf(r, tt.id, tt.shared); got != tt.want {
				t.Errorf("localUserOf = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSharedDeviceLocalUser: through the whole gateway, a shared
// device's local user is on its ledger row, never reaches the provider,
// and never changes what the device may do or who is billed.
func TestSharedDeviceLocalUser(t *testing.T) {
	fake := fakellm.New()
	up := httptest.NewServer(fake.Handler())
	t.Cleanup(up.Close)
	src := []byte(fmt.Sprintf(`{
  "providers": {
    "openai": {"baseurl": "%[1]s/v1", "apikey": "sk-openai-provider-key", "models": ["gpt-4o"],
      "cost_basis": "openai", "compatibility": {"openai_chat": true}},
    "anthropic": {"baseurl": "%[1]s", "apikey": "sk-ant", "models": ["claude-haiku-4-5-20251001"],
      "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}},
  },
  "grants": [
    {"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}},
    {"src": ["tag:lab"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "openai/*"}]}},
    {"src": ["tag:ci"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "openai/*"}]}},
  ],
  "shared_device_tags": ["tag:lab"],
}`, up.URL))
	cfg, diags, err := config.Parse(src)
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	who := fakeWhoIs{"100.64.0.7": tagged("tag:lab"), "100.64.0.4": tagged("tag:ci")}
	sink := &recordingSink{}
	gw, err := New(cfg, src, Options{WhoIs: who.whois, Ledger: sink, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	front := func(ip string) string {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.RemoteAddr = ip + ":41641"
			gw.ServeHTTP(w, r)
		}))
		t.Cleanup(ts.Close)
		return ts.URL
	}
	lab, ci := front("100.64.0.7"), front("100.64.0.4")

	tests := []struct {
		name, base, path, body string
		header                 []string
		status                 int
		localUser, principal   string
	}{
		{"shared device", lab, "/v1/chat/completions", seedChat, []string{headerLocalUser, "alice"}, 200, "alice", "tag:lab"},
		{"shared device, no user named", lab, "/v1/chat/completions", seedChat, nil, 200, unknownLocalUser, "tag:lab"},
		{"other tagged device", ci, "/v1/chat/completions", seedChat, []string{headerLocalUser, "alice"}, 200, "", "tag:ci"},
		// An admin's login as the local user widens nothing: the device
		// may still use openai only (an ungranted model is not served).
		{"no wider access", lab, "/v1/messages", seedMessages, []string{headerLocalUser, "alice@example.com"}, 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Reset()
			before := len(sink.recs)
			res, body := do(t, "POST", tt.base+tt.path, tt.body, tt.header...)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if _, ok := fake.LastRequest(); ok {
					t.Error("a refused request reached the provider")
				}
				return
			}
			req, ok := fake.LastRequest()
			if !ok {
				t.Fatal("provider saw no request")
			}
			for k := range req.Header {
				if strings.Contains(strings.ToLower(k), "local") {
					t.Errorf("provider got %s: %q", k, req.Header[k])
				}
			}
			sink.mu.Lock()
			n := len(sink.recs)
			sink.mu.Unlock()
			if n != before+1 {
				t.Fatalf("%d new ledger rows, want 1", n-before)
			}
			rec := sink.last()
			if rec.LocalUser != tt.localUser || rec.Principal != tt.principal {
				t.Errorf("row: local user %q principal %q, want %q %q", rec.LocalUser, rec.Principal, tt.localUser, tt.principal)
			}
		})
	}
}
