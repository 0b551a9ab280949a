package config

import (
	"strings"
	"testing"
)

// acceptNotBuilt lets a test parse fields that are not built yet, to test
// their parsing for when they are.
func acceptNotBuilt(t *testing.T) {
	t.Helper()
	refuseNotBuilt = false
	t.Cleanup(func() { refuseNotBuilt = true })
}

// Every field of Aperture's format that this gateway does not act on is
// refused, naming the field, unless it is empty.
func TestNotBuiltFieldsAreRefused(t *testing.T) {
	grant := func(c string) string {
		return `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, ` + c + `]}}]}`
	}
	tests := []struct{ src, path string }{
		{grant(`{"connectors": ["github"]}`), "connectors"},
		{grant(`{"mcp_tools": ["*"]}`), "mcp_tools"},
		{`{"mcp": {"servers": {"x": {}}}}`, "mcp"},
		{`{"flags": {"chat_sandbox": {"value": true}}}`, "flags"},
		{`{"connectors": {"servers": {"x": {}}}}`, "connectors"},
		{`{"chat_models": ["x"]}`, "chat_models"},
		{`{"sandboxes": {"x": {}}}`, "sandboxes"},
	}
	for _, tt := range tests {
		_, diags, err := Parse([]byte(tt.src))
		if err == nil {
			t.Errorf("%s: accepted", tt.src)
			continue
		}
		found := false
		for _, d := range diags {
			if d.Severity == Error && strings.HasSuffix(d.Path, tt.path) && strings.Contains(d.Message, "not built") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no error at %s naming it: %v", tt.src, tt.path, diags)
		}
	}
	// Empty sections, the default config's "hooks": {} among them, and
	// the default auth_mode are accepted.
	for _, src := range []string{`{"hooks": {}, "exporters": {}, "mcp": {}, "chat_models": [], "flags": null}`,
		`{"providers": {"a": {"baseurl": "https://api.anthropic.com", "auth_mode": "override", "compatibility": {"anthropic_messages": true}}}}`,
		`{"database": {"retention": {"require_export": false}}}`} {
		if _, diags, err := Parse([]byte(src)); err != nil {
			t.Errorf("%s: %v %v", src, err, diags)
		}
	}
}
