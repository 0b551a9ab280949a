package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseHooks(t *testing.T) {
	t.Setenv("TSPLUG_HOOK_KEY", "hk")
	cfg, diags, err := Parse([]byte(`{"hooks": {
		"oso": {"url": "https://api.osohq.com/api/agents/v1/model-request", "apikey": "env:TSPLUG_HOOK_KEY"},
		"guard": {"url": "http://guard.tailnet:8080/check", "authorization": "x-api-key", "timeout": "750ms",
		          "fail_policy": "fail_closed", "preference": 10, "disabled": true},
		"nolimit": {"url": "https://x", "timeout": "0"},
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity == Error || strings.HasPrefix(d.Path, "hooks") {
			t.Errorf("diagnostic for valid hooks: %v", d)
		}
	}
	oso := cfg.Hooks["oso"]
	if oso.APIKey != "hk" || oso.Authorization != AuthBearer || oso.Timeout != DefaultHookTimeout || oso.FailPolicy != "fail_open" {
		t.Errorf("oso = %+v", oso)
	}
	var raw map[string]any
	if err := json.Unmarshal(oso.Raw, &raw); err != nil || raw["apikey"] != "env:TSPLUG_HOOK_KEY" {
		t.Errorf("Raw = %s, %v", oso.Raw, err)
	}
	g := cfg.Hooks["guard"]
	if g.Authorization != AuthXAPIKey || g.Timeout != 750*time.Millisecond || g.FailPolicy != "fail_closed" || g.Preference != 10 || !g.Disabled {
		t.Errorf("guard = %+v", g)
	}
	if cfg.Hooks["nolimit"].Timeout != 0 {
		t.Errorf("timeout \"0\" = %v, want none", cfg.Hooks["nolimit"].Timeout)
	}
	// A hook that cannot be called as written is an error: it would
	// screen nothing.
	_, diags, err = Parse([]byte(`{"hooks": {
		"bad": {"url": "ftp://x", "authorization": "basic", "timeout": "soon", "fail_policy": "maybe"},
		"nourl": {},
	}}`))
	if err == nil {
		t.Error("hooks that cannot be called were accepted")
	}
	for _, want := range []struct{ path, msg string }{
		{"hooks.bad.url", "http or https"},
		{"hooks.bad.authorization", "invalid authorization"},
		{"hooks.bad.timeout", "invalid timeout"},
		{"hooks.bad.fail_policy", "invalid fail_policy"},
		{"hooks.nourl", "no url"},
	} {
		if !hasDiagMsg(diags, want.path, want.msg) {
			t.Errorf("want %q at %s; got %v", want.msg, want.path, diags)
		}
	}
}
