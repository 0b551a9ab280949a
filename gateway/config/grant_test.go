package config

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/tsplug/ts-plug/gateway/identity"
)

func TestParseGrants(t *testing.T) {
	cfg, diags, err := Parse([]byte(`{
  "providers": {"anthropic": {"baseurl": "https://api.anthropic.com", "models": ["c"]}},
  "grants": [
    {
      "src": ["alice@example.com", "tag:ci"],
      "app": {
        "tailscale.com/cap/aperture": [
          {"role": "admin"},
          {"models": "anthropic/**", "quotas": [{"bucket": "daily:<user>"}]},
        ],
        "example.com/cap/custom": [{"tier": "gold"}],
      },
    },
  ],
  "quotas": {"daily:<user>": {"capacity": "$1", "rate": "$1/day"}},
}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 0 {
		t.Errorf("diagnostics: %v", diags)
	}
	if len(cfg.Grants) != 1 {
		t.Fatalf("Grants = %+v", cfg.Grants)
	}
	g := cfg.Grants[0]
	if !slices.Equal(g.Src, []string{"alice@example.com", "tag:ci"}) || g.Legacy || g.Line != 4 {
		t.Errorf("grant = %+v", g)
	}
	if len(g.Caps) != 2 || g.Caps[0].Role != RoleAdmin || g.Caps[1].Quotas[0].Bucket != "daily:<user>" {
		t.Errorf("Caps = %+v", g.Caps)
	}
	if got := string(g.App["example.com/cap/custom"][0]); got != `{"tier":"gold"}` {
		t.Errorf("custom cap = %s", got)
	}
	if len(g.App[identity.CapAperture]) != 2 {
		t.Errorf("raw aperture caps = %d", len(g.App[identity.CapAperture]))
	}
}

func TestTempGrants(t *testing.T) {
	acceptNotBuilt(t) // parses fields that are refused until built
	cfg, diags, err := Parse([]byte(`{
  "providers": {"anthropic": {"baseurl": "https://a", "models": ["claude"]}},
  "hooks": {"rj": {"url": "https://hook.example"}},
  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}}],
  "temp_grants": [
    {"src": ["bob@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}},
    {"src": ["*"], "grants": [
      {"role": "user"},
      {"providers": [{"provider": "anthropic", "model": "claude"}, {"provider": "*", "model": "*"}]},
      {"hook": {"match": {"providers": ["*"], "models": ["*"], "events": ["tool_call_entire_request"]},
                "hook": "rj", "fields": ["tools", "request_body"]}},
    ]},
  ],
}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TempGrants) != 2 || !cfg.TempGrants[0].Legacy || cfg.TempGrants[0].Caps[0].Role != RoleAdmin {
		t.Fatalf("TempGrants = %+v", cfg.TempGrants)
	}
	if all := cfg.AllGrants(); len(all) != 3 || all[0].Legacy || !all[2].Legacy {
		t.Errorf("AllGrants = %+v", all)
	}
	alpha := cfg.TempGrants[1]
	var models []string
	var hooks []HookRef
	roles := 0
	for _, c := range alpha.Caps {
		models = append(models, c.Models...)
		hooks = append(hooks, c.SendHooks...)
		if c.Role == RoleUser {
			roles++
		}
	}
	if roles != 1 || !slices.Equal(models, []string{"anthropic/claude", "*/**"}) {
		t.Errorf("alpha conversion: roles=%d models=%v", roles, models)
	}
	if len(hooks) != 1 || hooks[0].Name != "rj" || !slices.Equal(hooks[0].Events, []string{"tool_call_entire_request"}) || !slices.Equal(hooks[0].Send, []string{"tools", "request_body"}) {
		t.Errorf("alpha hook = %+v", hooks)
	}
	if len(alpha.App[identity.CapAperture]) != len(alpha.Caps) {
		t.Error("converted capabilities missing from App")
	}
	for _, raw := range alpha.App[identity.CapAperture] {
		if !json.Valid(raw) {
			t.Errorf("invalid raw cap %s", raw)
		}
	}
	if !hasDiagMsg(diags, "temp_grants[1].grants", "deprecated") {
		t.Errorf("no deprecation warning: %v", diags)
	}
	// The alpha "grants" key is only understood inside temp_grants.
	_, diags, _ = Parse([]byte(`{"grants": [{"src": ["*"], "grants": []}]}`))
	if !hasDiagMsg(diags, "grants[0].grants", "unknown key") {
		t.Errorf("alpha key accepted in grants: %v", diags)
	}
}

func TestGrantShapeWarnings(t *testing.T) {
	tests := []struct {
		name, src, path, msg string
	}{
		{"no src", `{"grants": [{"app": {}}]}`, "grants[0]", "no src"},
		{"ip key", `{"grants": [{"src": [], "ip": ["tcp:80"]}]}`, "grants[0].ip", "tailnet policy file"},
		{"grant not object", `{"grants": ["*"]}`, "grants[0]", "must be an object"},
		{"app value not array", `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": {"role": "admin"}}}]}`, `grants[0].app["tailscale.com/cap/aperture"]`, "must be an array"},
		{"src not strings", `{"grants": [{"src": [1]}]}`, "grants[0].src[0]", "must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, err := Parse([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if !hasDiagMsg(diags, tt.path, tt.msg) {
				t.Errorf("want %q at %s; got %v", tt.msg, tt.path, diags)
			}
		})
	}
}
