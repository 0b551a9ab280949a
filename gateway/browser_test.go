package gateway

import (
	"net/http/httptest"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/identity"
)

// accessWithCORS is alice's access under a grant whose set_cors allows
// origins on /v1/**.
func accessWithCORS(t *testing.T, origins string) *grants.Access {
	t.Helper()
	cfg, _, err := config.Parse([]byte(`{"providers":{"p":{"baseurl":"http://x","models":["m"]}},
		"grants":[{"src":["alice@example.com"],"app":{"tailscale.com/cap/aperture":[{"role":"user"},
		{"set_cors":true,"cors_paths":["/v1/**"],"Access-Control-Allow-Origin":"` + origins + `"}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromWhoIs(user("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	return grants.Evaluate(cfg, id)
}

// TestNullOriginIsCrossSite: an opaque origin ("null") is refused unless
// a grant lists "null" itself; "*" does not stand for it.
func TestNullOriginIsCrossSite(t *testing.T) {
	tests := []struct {
		allowed string
		origin  string
		ok      bool
		acao    string
	}{
		{"*", "https://app.example.com", true, "*"},
		{"*", "null", false, ""},
		{"https://app.example.com", "null", false, ""},
		{"https://app.example.com, null", "null", true, "null"},
		{"null", "null", true, "null"},
		{"null", "https://app.example.com", false, ""},
		{"https://app.example.com", "https://evil.example.com", false, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "http://ai/v1/messages", nil)
		r.Header.Set("Origin", tt.origin)
		cors, ok := checkBrowser(r, accessWithCORS(t, tt.allowed))
		if ok != tt.ok || cors.Get("Access-Control-Allow-Origin") != tt.acao {
			t.Errorf("allowed %q, Origin %q: ok=%v Access-Control-Allow-Origin=%q; want %v %q",
				tt.allowed, tt.origin, ok, cors.Get("Access-Control-Allow-Origin"), tt.ok, tt.acao)
		}
	}
}

// TestNullOriginCannotMutate: config saves and refills come from the
// gateway's own pages only, and an opaque origin is never one of them.
func TestNullOriginCannotMutate(t *testing.T) {
	r := httptest.NewRequest("POST", "http://ai/api/config", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(CSRFHeader, "1")
	r.Header.Set("Origin", "null")
	if err := checkMutation(r); err != errCrossSite {
		t.Errorf("Origin: null mutation: %v, want %v", err, errCrossSite)
	}
}
