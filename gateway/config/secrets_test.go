package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailscale/hujson"
)

func TestMaskSecrets(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"literal key", `{"providers": {"a": {"apikey": "sk-abcdefghijklmnop"}}}`, `{"providers": {"a": {"apikey": "sk-a…(masked)"}}}`},
		{"short key", `{"providers": {"a": {"apikey": "short"}}}`, `{"providers": {"a": {"apikey": "…(masked)"}}}`},
		{"references shown", `{"providers": {"a": {"apikey": "env:KEY"}, "b": {"apikey": "file:k"}, "c": {"apikey": ""}}}`,
			`{"providers": {"a": {"apikey": "env:KEY"}, "b": {"apikey": "file:k"}, "c": {"apikey": ""}}}`},
		{"provider headers", `{"providers": {"a": {"add_headers": ["X-Token: tok-0123456789abcdef", "X-Team:  eng", "X-Ref: env:H"]}}}`,
			`{"providers": {"a": {"add_headers": ["X-Token: tok-…(masked)", "X-Team: …(masked)", "X-Ref: env:H"]}}}`},
		{"grant headers", `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"models": "**", "add_headers": ["Authorization: Bearer abcdefghijklmnop"]}]}}]}`,
			`{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"models": "**", "add_headers": ["Authorization: Bear…(masked)"]}]}}]}`},
		{"temp_grants headers", `{"temp_grants": [{"app": {"tailscale.com/cap/aperture": [{"add_headers": ["X-K: v"]}]}}]}`,
			`{"temp_grants": [{"app": {"tailscale.com/cap/aperture": [{"add_headers": ["X-K: …(masked)"]}]}}]}`},
		{"url credentials", `{"providers": {"a": {"baseurl": "https://bob:hunter2@llm.example.com/v1?x=@y"}}, "hooks": {"h": {"url": "http://tok@hook.example"}}}`,
			`{"providers": {"a": {"baseurl": "https://…(masked)@llm.example.com/v1?x=@y"}}, "hooks": {"h": {"url": "http://…(masked)@hook.example"}}}`},
		{"url without credentials", `{"providers": {"a": {"baseurl": "https://llm.example.com/v1/@x"}}}`,
			`{"providers": {"a": {"baseurl": "https://llm.example.com/v1/@x"}}}`},
		{"hooks and s3", "{\"hooks\": {\"h\": {\"apikey\": \"hook-secret-0123456789\"}},\n \"exporters\": {\"s3\": {\"access_secret\": \"AWSSECRET\"}}}",
			"{\"hooks\": {\"h\": {\"apikey\": \"hook…(masked)\"}},\n \"exporters\": {\"s3\": {\"access_secret\": \"…(masked)\"}}}"},
		{"only secret members", `{"providers": {"a": {"name": "sk-abcdefghijklmnop"}}, "apikey": "top-level-not-a-secret-path"}`,
			`{"providers": {"a": {"name": "sk-abcdefghijklmnop"}}, "apikey": "top-level-not-a-secret-path"}`},
		{"comments kept", "// c\n{\"providers\": {\"a\": {\n  \"apikey\": \"sk-abcdefghijklmnop\", // the key\n}}}",
			"// c\n{\"providers\": {\"a\": {\n  \"apikey\": \"sk-a…(masked)\", // the key\n}}}"},
		{"duplicate members all masked", `{"providers": {"a": {"apikey": "first-secret", "apikey": "second-secret"}}}`,
			`{"providers": {"a": {"apikey": "…(masked)", "apikey": "…(masked)"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MaskSecrets([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Errorf("got %s, %v\nwant %s", got, err, tt.want)
			}
		})
	}
	for _, tt := range tests {
		if twice, _ := MaskSecrets([]byte(tt.want)); string(twice) != tt.want {
			t.Errorf("%s: masking the masked text changed it:\n%s", tt.name, twice)
		}
	}
	if _, err := MaskSecrets([]byte(`{"providers": `)); err == nil {
		t.Errorf("unparseable text was returned")
	}
}

func TestNormalizeSecretRef(t *testing.T) {
	base := t.TempDir()
	tests := []struct{ in, want string }{
		{"env:HOME", "env:HOME"},
		{"file:/etc/aperture/k", "file:/etc/aperture/k"},
		{"file:/etc/aperture/../passwd", "file:/etc/passwd"},
		{"file:k", "file:" + filepath.Join(base, "k")},
		{"file:./keys/../k", "file:" + filepath.Join(base, "k")},
		{"sk-literal", "sk-literal"},
	}
	for _, tt := range tests {
		if got := NormalizeSecretRef(tt.in, base); got != tt.want {
			t.Errorf("NormalizeSecretRef(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSecretSitesCoverResolvedFields parses a config whose every string
// is an env: reference to an unset variable: each field parse tries to
// resolve says so in a diagnostic, and each of those fields must be a
// SecretSite with that reference, or the config API would let a saved
// config read it unchecked.
func TestSecretSitesCoverResolvedFields(t *testing.T) {
	const ref = "env:TSPLUG_TEST_UNSET_REFERENCE"
	src := []byte(`{
  "providers": {"p": {"baseurl": "https://x.example", "models": ["m"], "apikey": "` + ref + `", "add_headers": ["X-A: ` + ref + `"]}},
  "hooks": {"h": {"url": "https://h.example", "apikey": "` + ref + `"}},
  "exporters": {"s3": {"bucket_name": "b", "access_secret": "` + ref + `"}},
  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**", "add_headers": ["X-G: ` + ref + `"]}]}}],
}`)
	_, diags, _ := Parse(src)
	root, err := hujson.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, s := range SecretSites(&root) {
		if r, ok := s.Ref(); ok && r == ref {
			refs = append(refs, s.Path)
		}
	}
	resolved := 0
	for _, d := range diags {
		if strings.Contains(d.Message, "TSPLUG_TEST_UNSET_REFERENCE is not set") {
			resolved++
			if !slices.Contains(refs, d.Path) {
				t.Errorf("parse resolves %s, which SecretSites does not report (sites: %v)", d.Path, refs)
			}
		}
	}
	if resolved < 2 {
		t.Errorf("only %d fields resolved; the test config no longer exercises resolution: %v", resolved, diags)
	}
	want := []string{"providers.p.apikey", "providers.p.add_headers[0]", "hooks.h.apikey", "exporters.s3.access_secret",
		`grants[0].app["tailscale.com/cap/aperture"][1].add_headers[0]`}
	for _, w := range want {
		if !slices.Contains(refs, w) {
			t.Errorf("no reference site at %s: %v", w, refs)
		}
	}
}

func TestDestinationsOf(t *testing.T) {
	src := []byte(`{
  "providers": {"a": {"baseurl": "https://u:p@a.example/v1"}, "b.c": {"baseurl": "https://b.example", "baseurl": "https://last.example"}},
  "hooks": {"h": {"url": "https://h.example"}},
  "exporters": {"s3": {"endpoint": "https://s3.example", "region": "eu"}},
  "grants": [{"app": {"tailscale.com/cap/aperture": [{"models": ["a/**", "b.c/m"]}, {"role": "admin"}]}}],
}`)
	root, err := hujson.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	d := DestinationsOf(&root)
	cap0, cap1 := `grants[0].app["tailscale.com/cap/aperture"][0]`, `grants[0].app["tailscale.com/cap/aperture"][1]`
	checks := []struct{ name, got, want string }{
		{"credentials masked", d.Servers["providers.a"], "https://…(masked)@a.example/v1"},
		{"last duplicate wins", d.Servers[`providers["b.c"]`], "https://last.example"},
		{"quoted provider ID", d.Providers["b.c"], `providers["b.c"]`},
		{"hook", d.Servers["hooks.h"], "https://h.example"},
		{"s3", d.Servers["exporters.s3"], "https://s3.example eu"},
		{"capability globs", strings.Join(d.Models[cap0], ","), "a/**,b.c/m"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if g, ok := d.Models[cap1]; !ok || g != nil {
		t.Errorf("floating capability: %v, %v", g, ok)
	}
}
