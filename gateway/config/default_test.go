package config

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigLoads(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-openai")
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant")
	t.Setenv("GEMINI_API_KEY", "gm-key")
	cfg, diags, err := Parse([]byte(DefaultConfigText))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(diags) != 0 {
		t.Errorf("default config has diagnostics: %v", diags)
	}
	if !strings.Contains(DefaultConfigText, "//") {
		t.Error("default config has no explanatory comments")
	}
	oa, an, gm := cfg.Providers["openai"], cfg.Providers["anthropic"], cfg.Providers["gemini"]
	if oa == nil || an == nil || gm == nil {
		t.Fatalf("providers = %v", cfg.ProviderIDs())
	}
	if oa.APIKey != "sk-openai" || an.APIKey != "sk-ant" || gm.APIKey != "gm-key" {
		t.Errorf("keys not read from env: %q %q %q", oa.APIKey, an.APIKey, gm.APIKey)
	}
	if !gm.Serves(GeminiGenerateContent) || gm.Serves(OpenAIChat) || gm.Authorization != AuthXGoogAPIKey {
		t.Errorf("gemini = %+v", gm)
	}
	if !oa.Serves(OpenAIChat) || !oa.Serves(OpenAIResponses) || oa.Serves(AnthropicMessages) || oa.Authorization != AuthBearer {
		t.Errorf("openai = %+v", oa)
	}
	if !an.Serves(AnthropicMessages) || an.Serves(OpenAIChat) || an.Authorization != AuthXAPIKey {
		t.Errorf("anthropic = %+v", an)
	}
	// Everyone gets the user role and every model; nobody is an admin
	// through the default config (its admin grant names a placeholder
	// until the operator puts their login there), so a fresh gateway does
	// not let every tailnet member read its keys.
	var everyoneRoles, models []string
	for _, g := range cfg.AllGrants() {
		for _, c := range g.Caps {
			if c.Role == RoleAdmin && !slices.Equal(g.Src, []string{PlaceholderAdmin}) {
				t.Errorf("default grant %v gives the admin role", g.Src)
			}
			if slices.Contains(g.Src, "*") {
				if c.Role != "" {
					everyoneRoles = append(everyoneRoles, c.Role)
				}
				models = append(models, c.Models...)
			}
		}
	}
	if !slices.Equal(everyoneRoles, []string{RoleUser}) || !slices.Contains(models, "**") {
		t.Errorf("everyone should get the user role and all models; roles=%v models=%v", everyoneRoles, models)
	}
	if !slices.Equal(cfg.ProviderIDs(), []string{"anthropic", "gemini", "openai"}) {
		t.Errorf("ProviderIDs = %v", cfg.ProviderIDs())
	}
}

func TestDefaultConfigWithoutKeys(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("ANTHROPIC_API_KEY", "")
	t.Setenv("GEMINI_API_KEY", "")
	_, diags, err := Parse([]byte(DefaultConfigText))
	if err != nil {
		t.Fatalf("missing keys must not stop the default config from loading: %v", err)
	}
	if HasErrors(diags) {
		t.Errorf("missing keys are warnings, not errors: %v", diags)
	}
	if !hasDiag(diags, "providers.openai.apikey") || !hasDiag(diags, "providers.anthropic.apikey") || !hasDiag(diags, "providers.gemini.apikey") {
		t.Errorf("want key warnings, got %v", diags)
	}
}

// The admin grant AdminHowTo shows must work when pasted: it parses and
// makes exactly that login an admin.
func TestAdminGrantExample(t *testing.T) {
	snippet := strings.ReplaceAll(AdminGrantExample, "LOGIN", "alice@example.com")
	cfg, diags, err := Parse([]byte(`{"grants": [` + snippet + `]}`))
	if err != nil {
		t.Fatalf("%s: %v", snippet, err)
	}
	for _, d := range diags {
		if strings.HasPrefix(d.Path, "grants") {
			t.Errorf("%s: %v", snippet, d)
		}
	}
	if len(cfg.Grants) != 1 || !slices.Equal(cfg.Grants[0].Src, []string{"alice@example.com"}) ||
		len(cfg.Grants[0].Caps) != 1 || cfg.Grants[0].Caps[0].Role != RoleAdmin {
		t.Errorf("%s parsed as %+v", snippet, cfg.Grants)
	}
	for _, tt := range []struct {
		principal string
		want      []string
		not       string
	}{
		{"bob@example.com", []string{"--admin bob@example.com", "aperture install --admin", `"src": ["bob@example.com"]`, "--local-admin"}, "LOGIN"},
		{"tag:a,tag:b", []string{"--admin tag:a,tag:b", `"src": ["tag:a,tag:b"]`}, "LOGIN"},
		{"", []string{"--admin LOGIN", `"src": ["LOGIN"]`}, "(loopback)\"]"},
		// --admin cannot name the local port's callers: the text says
		// how they can be made admins instead.
		{"(loopback)", []string{"--local-admin", `"src": ["(loopback)"]`, "tailscale serve"}, "--admin"},
	} {
		how := AdminHowToFor(tt.principal)
		for _, want := range tt.want {
			if !strings.Contains(how, want) {
				t.Errorf("AdminHowToFor(%q) lacks %q: %s", tt.principal, want, how)
			}
		}
		if strings.Contains(how, tt.not) {
			t.Errorf("AdminHowToFor(%q) says %q: %s", tt.principal, tt.not, how)
		}
	}
}
