package config

import "testing"

func TestCrossChecks(t *testing.T) {
	acceptNotBuilt(t) // checks references of fields refused until built
	tests := []struct {
		name string
		src  string
		path string
		msg  string // "" = no diagnostic at path
	}{
		{"no providers", `{"grants": []}`, "providers", "no providers"},
		{"mcp counts", `{"mcp": {"servers": {"a": {"url": "http://a"}}}}`, "providers", ""},
		{"providers no grants", `{"providers": {"p": {"baseurl": "https://p", "models": ["m"]}}}`, "grants", "all access will be denied"},
		{"no admin", `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}}]}`, "grants", "nobody will be able to manage"},
		{"admin with empty src does not count", `{"grants": [{"src": [], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}}]}`, "grants", "nobody will be able to manage"},
		{"admin in temp_grants", `{"temp_grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}}]}`, "temp_grants", ""},
		{"undeclared provider", `{"providers": {"openai": {"baseurl": "https://o", "models": ["m"]}},
			"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin", "models": "anthropc/**"}]}}]}`,
			`grants[0].app["tailscale.com/cap/aperture"][0].models`, `undeclared provider "anthropc"`},
		{"glob provider ok", `{"providers": {"openai": {"baseurl": "https://o", "models": ["m"]}},
			"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin", "models": "*/gpt*"}]}}]}`,
			`grants[0].app["tailscale.com/cap/aperture"][0].models`, ""},
		{"undefined hook", `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin", "send_hooks": [{"name": "nope", "events": ["entire_request"], "send": []}]}]}}]}`,
			`grants[0].app["tailscale.com/cap/aperture"][0].send_hooks`, `hook "nope" is not defined`},
		{"quota declared after grants", `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin", "quotas": [{"bucket": "q"}]}]}}],
			"quotas": {"q": {"capacity": "$1", "rate": "$1/day"}}}`,
			`grants[0].app["tailscale.com/cap/aperture"][0].quotas`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, _ := Parse([]byte(tt.src)) // some are errors (an undefined hook)
			if tt.msg == "" {
				if d, ok := diagAt(diags, tt.path); ok {
					t.Errorf("unexpected diagnostic %v", d)
				}
				return
			}
			if !hasDiagMsg(diags, tt.path, tt.msg) {
				t.Errorf("want %q at %s; got %v", tt.msg, tt.path, diags)
			}
		})
	}
}
