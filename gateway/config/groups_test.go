package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGroupsInGrantSrcRefused(t *testing.T) {
	tests := []struct {
		name     string
		grants   string // the "grants" and/or "temp_grants" members
		wantPath string // "" when the config must load
		group    string // the selector the diagnostic names
	}{
		{"group", `"grants": [{"src": ["alice@example.com", "group:eng"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}}]`,
			"grants[0].src[1]", "group:eng"},
		{"autogroup", `"grants": [{"src": ["autogroup:member"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}}]`,
			"grants[0].src[0]", "autogroup:member"},
		{"group inside a tag set", `"grants": [{"src": ["tag:ci, group:eng"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}}]`,
			"grants[0].src[0]", "group:eng"},
		{"temp_grants", `"temp_grants": [{"src": ["group:ops"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}}]`,
			"temp_grants[0].src[0]", "group:ops"},
		{"logins, tags, everyone and loopback load", `"grants": [{"src": ["alice@example.com", "tag:ci", "tag:a,tag:b", "*", "(loopback)", "groupie@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}}]`,
			"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, err := Parse([]byte(`{` + tt.grants + `}`))
			if tt.wantPath == "" {
				if err != nil {
					t.Fatalf("Parse: %v (%v)", err, diags)
				}
				return
			}
			if err == nil {
				t.Fatalf("a config grant with %s loaded; it would match nobody", tt.group)
			}
			d, ok := diagAt(diags, tt.wantPath)
			if !ok || d.Severity != Error {
				t.Fatalf("no error at %s: %v", tt.wantPath, diags)
			}
			for _, want := range []string{`"` + tt.group + `"`, "never their groups", "tailnet policy file", `"dst": ["tag:aperture"]`, "tagOwners"} {
				if !strings.Contains(d.Message, want) {
					t.Errorf("diagnostic lacks %q: %s", want, d.Message)
				}
			}
		})
	}
}

// TestGroupRefusalPolicyExample checks that the grant the diagnostic
// offers is one a tailnet policy file accepts as is: valid JSON with the
// group as its src and the gateway's capability.
func TestGroupRefusalPolicyExample(t *testing.T) {
	msg := groupRefusal("group:eng")
	start, end := strings.Index(msg, `{"src"`), strings.LastIndex(msg, "}")
	if start < 0 || end < start {
		t.Fatalf("no policy grant in %q", msg)
	}
	var g struct {
		Src []string                     `json:"src"`
		Dst []string                     `json:"dst"`
		IP  []string                     `json:"ip"`
		App map[string][]json.RawMessage `json:"app"`
	}
	if err := json.Unmarshal([]byte(msg[start:end+1]), &g); err != nil {
		t.Fatalf("policy grant %q: %v", msg[start:end+1], err)
	}
	if len(g.Src) != 1 || g.Src[0] != "group:eng" || len(g.Dst) != 1 || g.Dst[0] != "tag:aperture" || len(g.App["tailscale.com/cap/aperture"]) == 0 {
		t.Errorf("policy grant = %+v", g)
	}
}
