package config_test

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/pricing"
)

// The models the coding agents send when nobody chose one, as the
// versions this repository tests against pick them (internal/clienttest
// pins Claude Code 2.1.328 and Codex 0.169.0; Gemini CLI 0.61.0's
// defaults), must be served by the default config, over the API each
// client speaks, or a first run is a 404.
var clientDefaults = []struct {
	client, model, provider string
	api                     config.API
}{
	// Claude Code: its default (clients.md: claude-opus-5-5) and the
	// sonnet and haiku its model aliases resolve to; then what its
	// gateway login picks.
	{"Claude Code", "claude-opus-5-5", "anthropic", config.AnthropicMessages},
	{"Claude Code", "claude-sonnet-5-5", "anthropic", config.AnthropicMessages},
	{"Claude Code", "claude-haiku-5-5", "anthropic", config.AnthropicMessages},
	{"Claude Code", "claude-opus-4-7", "anthropic", config.AnthropicMessages},
	{"Claude Code", "claude-sonnet-4-6", "anthropic", config.AnthropicMessages},
	{"Claude Code", "claude-haiku-4-5", "anthropic", config.AnthropicMessages},
	// Codex: its default with a custom provider (observed: a request with
	// no model configured), the picker's others, and the ids the
	// repository's own Codex test and older Codex versions use.
	{"Codex", "gpt-6.1-sol", "openai", config.OpenAIResponses},
	{"Codex", "gpt-6-astra", "openai", config.OpenAIResponses},
	{"Codex", "gpt-6-luna", "openai", config.OpenAIResponses},
	{"Codex", "gpt-5.5", "openai", config.OpenAIResponses},
	{"Codex", "gpt-5-codex", "openai", config.OpenAIResponses},
	{"Codex", "gpt-5.1-codex", "openai", config.OpenAIResponses},
	// Gemini CLI: DEFAULT_GEMINI_MODEL, its flash fallback and the
	// flash-lite it uses for its own small calls.
	{"Gemini CLI", "gemini-2.5-pro", "gemini", config.GeminiGenerateContent},
	{"Gemini CLI", "gemini-2.5-flash", "gemini", config.GeminiGenerateContent},
	{"Gemini CLI", "gemini-2.5-flash-lite", "gemini", config.GeminiGenerateContent},
}

// unpriced are default models the built-in price table does not know
// yet (it is generated from an upstream source): they are served, and
// metered as unpriced until the table or the provider's "pricing" has
// them. The test fails once the table prices one, so the list shrinks.
var unpriced = map[string]bool{
	"gpt-6.1-sol":      true,
	"claude-haiku-5-5": true,
}

func TestDefaultConfigServesClientDefaults(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-openai")
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant")
	t.Setenv("GEMINI_API_KEY", "gm-key")
	cfg, _, err := config.Parse([]byte(config.DefaultConfigText))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range clientDefaults {
		p := cfg.Providers[tt.provider]
		if p == nil || !p.HasModel(tt.model) || !p.Serves(tt.api) {
			t.Errorf("%s's %s is not served by the default config's %s provider over %s", tt.client, tt.model, tt.provider, tt.api)
			continue
		}
		basis := pricing.InferCostBasis(p.Compatibility, p.BaseURL)
		_, priced := pricing.Lookup(basis, tt.model)
		if priced == unpriced[tt.model] {
			t.Errorf("%s: priced by the %q table = %v, but the unpriced list says %v", tt.model, basis, priced, unpriced[tt.model])
		}
	}
	// Every model of the default config, not only the clients' defaults,
	// is priced unless listed.
	for id, p := range cfg.Providers {
		basis := pricing.InferCostBasis(p.Compatibility, p.BaseURL)
		for _, m := range p.Models {
			if _, ok := pricing.Lookup(basis, m); !ok && !unpriced[m] {
				t.Errorf("default model %s/%s has no price in the %q table", id, m, basis)
			}
		}
	}
}
