package config_test

import (
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// routesTo stands in for the gateway's grants-glob rule: a capability
// reaches the provider its models globs' first segment names.
func routesTo(globs []string, id string) bool {
	if globs == nil {
		return true
	}
	for _, g := range globs {
		if first, _, _ := strings.Cut(g, "/"); first == "**" || first == id {
			return true
		}
	}
	return false
}

func TestUnmaskSecrets(t *testing.T) {
	const cap0 = `grants[0].app["tailscale.com/cap/aperture"][0]`
	cur := []byte(`{"providers": {
  "a": {"baseurl": "https://a.example", "apikey": "sk-aaaa-0123456789", "add_headers": ["X-T: hdr-aaaa-0123456789abc", "X-U: u-secret"]},
  "b": {"baseurl": "https://u:pw-secret@b.example/v1", "apikey": "sk-bbbb-0123456789"},
  "c": {"baseurl": "https://c.example", "apikey": "sk-aaaa-9876543210"}},
 "hooks": {"h": {"url": "https://h.example", "apikey": "hook-secret-0123456789"}},
 "grants": [{"app": {"tailscale.com/cap/aperture": [{"models": "a/**", "add_headers": ["X-G: grant-secret-0123456789"]}]}}]}`)
	tests := []struct {
		name, in, want string
		errPath        string // "" = no error
		errMsg         string
	}{
		{"same path", `{"providers": {"a": {"baseurl": "https://a.example", "apikey": "sk-a…(masked)"}}}`,
			`{"providers": {"a": {"baseurl": "https://a.example", "apikey": "sk-aaaa-0123456789"}}}`, "", ""},
		{"new key kept", `{"providers": {"a": {"apikey": "sk-new-key"}}}`, `{"providers": {"a": {"apikey": "sk-new-key"}}}`, "", ""},
		{"syntax error passes through", `{"providers": `, `{"providers": `, "", ""},
		{"renamed provider, same server", `{"providers": {"z": {"baseurl": "https://c.example", "apikey": "sk-b…(masked)"}}}`,
			"", "providers.z.apikey", "matches no stored value in this place"},
		{"key of another provider", `{"providers": {"a": {"baseurl": "https://a.example", "apikey": "sk-b…(masked)"}}}`,
			"", "providers.a.apikey", "matches no stored value"},
		{"baseurl changed", `{"providers": {"a": {"baseurl": "https://evil.example", "apikey": "sk-a…(masked)"}}}`,
			"", "providers.a.apikey", "baseurl changed"},
		{"baseurl without its masked credentials is another server", `{"providers": {"b": {"baseurl": "https://b.example/v1", "apikey": "sk-b…(masked)"}}}`,
			"", "providers.b.apikey", "baseurl changed"},
		{"baseurl credentials kept", `{"providers": {"b": {"baseurl": "https://…(masked)@b.example/v1", "apikey": "sk-b…(masked)"}}}`,
			`{"providers": {"b": {"baseurl": "https://u:pw-secret@b.example/v1", "apikey": "sk-bbbb-0123456789"}}}`, "", ""},
		{"new baseurl credentials keep the key", `{"providers": {"b": {"baseurl": "https://new:pw2@b.example/v1", "apikey": "sk-b…(masked)"}}}`,
			`{"providers": {"b": {"baseurl": "https://new:pw2@b.example/v1", "apikey": "sk-bbbb-0123456789"}}}`, "", ""},
		{"headers reordered", `{"providers": {"a": {"baseurl": "https://a.example", "add_headers": ["X-U: …(masked)", "X-T: hdr-…(masked)"]}}}`,
			`{"providers": {"a": {"baseurl": "https://a.example", "add_headers": ["X-U: u-secret", "X-T: hdr-aaaa-0123456789abc"]}}}`, "", ""},
		{"header renamed", `{"providers": {"a": {"baseurl": "https://a.example", "add_headers": ["X-Other: hdr-…(masked)"]}}}`,
			"", "providers.a.add_headers[0]", "masked header value matches no stored value"},
		{"hook url changed", `{"hooks": {"h": {"url": "https://evil.example", "apikey": "hook…(masked)"}}}`,
			"", "hooks.h.apikey", "hook's url changed"},
		{"grant header, same destinations", `{"providers": {"a": {"baseurl": "https://a.example"}, "b": {"baseurl": "https://evil.example"}},
 "grants": [{"app": {"tailscale.com/cap/aperture": [{"models": "a/**", "add_headers": ["X-G: gran…(masked)"]}]}}]}`,
			`{"providers": {"a": {"baseurl": "https://a.example"}, "b": {"baseurl": "https://evil.example"}},
 "grants": [{"app": {"tailscale.com/cap/aperture": [{"models": "a/**", "add_headers": ["X-G: grant-secret-0123456789"]}]}}]}`, "", ""},
		{"grant header, models widened", `{"providers": {"a": {"baseurl": "https://a.example"}, "b": {"baseurl": "https://b.example/v1"}},
 "grants": [{"app": {"tailscale.com/cap/aperture": [{"models": "**", "add_headers": ["X-G: gran…(masked)"]}]}}]}`,
			"", cap0 + ".add_headers[0]", `sent to provider "b"`},
		{"grant header, provider moved", `{"providers": {"a": {"baseurl": "https://evil.example"}},
 "grants": [{"app": {"tailscale.com/cap/aperture": [{"models": "a/**", "add_headers": ["X-G: gran…(masked)"]}]}}]}`,
			"", cap0 + ".add_headers[0]", `sent to provider "a"`},
		{"grant header, new capability", `{"grants": [{"app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "a/**", "add_headers": ["X-G: gran…(masked)"]}]}}]}`,
			"", `grants[0].app["tailscale.com/cap/aperture"][1].add_headers[0]`, "matches no stored value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := config.UnmaskSecrets([]byte(tt.in), cur, routesTo)
			if tt.errPath == "" {
				if string(got) != tt.want || len(diags) != 0 {
					t.Errorf("got %s %v\nwant %s", got, diags, tt.want)
				}
				return
			}
			found := false
			for _, d := range diags {
				if d.Path == tt.errPath && strings.Contains(d.Message, tt.errMsg) && d.Line > 0 {
					found = true
				}
			}
			if !found {
				t.Errorf("no error at %s saying %q: %+v", tt.errPath, tt.errMsg, diags)
			}
			if strings.Contains(string(got), "0123456789") && !strings.Contains(tt.in, "0123456789") {
				t.Errorf("a stored secret was put back despite the error: %s", got)
			}
		})
	}
}
