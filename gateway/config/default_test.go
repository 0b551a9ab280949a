package config

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigLoads(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-openai")
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant")
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
	oa, an := cfg.Providers["openai"], cfg.Providers["anthropic"]
	if oa == nil || an == nil {
		t.Fatalf("providers = %v", cfg.ProviderIDs())
	}
	if oa.APIKey != "sk-openai" || an.APIKey != "sk-ant" {
		t.Errorf("keys not read from env: %q %q", oa.APIKey, an.APIKey)
	}
	if !oa.Serves(OpenAIChat) || !oa.Serves(OpenAIResponses) || oa.Serves(AnthropicMessages) || oa.Authorization != AuthBearer {
		t.Errorf("openai = %+v", oa)
	}
	if !an.Serves(AnthropicMessages) || an.Serves(OpenAIChat) || an.Authorization != AuthXAPIKey {
		t.Errorf("anthropic = %+v", an)
	}
	var roles, models []string
	for _, g := range cfg.Grants {
		if !slices.Contains(g.Src, "*") {
			continue
		}
		for _, c := range g.Caps {
			if c.Role != "" {
				roles = append(roles, c.Role)
			}
			models = append(models, c.Models...)
		}
	}
	if !slices.Contains(roles, RoleAdmin) || !slices.Contains(roles, RoleUser) || !slices.Contains(models, "**") {
		t.Errorf("everyone should get admin, user and all models; roles=%v models=%v", roles, models)
	}
	if !slices.Equal(cfg.ProviderIDs(), []string{"anthropic", "openai"}) {
		t.Errorf("ProviderIDs = %v", cfg.ProviderIDs())
	}
}

func TestDefaultConfigWithoutKeys(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("ANTHROPIC_API_KEY", "")
	_, diags, err := Parse([]byte(DefaultConfigText))
	if err != nil {
		t.Fatalf("missing keys must not stop the default config from loading: %v", err)
	}
	if !hasDiag(diags, "providers.openai.apikey") || !hasDiag(diags, "providers.anthropic.apikey") {
		t.Errorf("want key warnings, got %v", diags)
	}
}
