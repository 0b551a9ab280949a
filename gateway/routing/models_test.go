package routing

import (
	"slices"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/identity"
)

func TestModels(t *testing.T) {
	cfg := parse(t, `{
  "providers": {
    "anthropic": {"baseurl": "https://a", "models": ["claude-sonnet-4-5", "claude-opus-4-5"], "compatibility": {"anthropic_messages": true}},
    "openai": {"baseurl": "https://o", "models": ["gpt-5"], "compatibility": {"openai_chat": true, "openai_responses": true}},
    "openrouter": {"baseurl": "https://or", "models": ["deepseek/deepseek-r1"], "preference": 5},
    "off": {"baseurl": "https://off", "models": ["gpt-5"], "disabled": true},
    "mute": {"baseurl": "https://m", "models": ["x"], "compatibility": {"openai_chat": false}},
    "gemini": {"baseurl": "https://g", "models": ["gemini-2.5-pro"], "compatibility": {"gemini_generate_content": true}},
  },
  "grants": [
    {"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}},
    {"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}},
    {"src": ["bob@example.com"], "app": {"tailscale.com/cap/aperture": [{"models": "anthropic/*"}]}},
  ],
}`)
	// Scope the "**" grant to alice only, to test filtering for bob.
	cfg.Grants[0].Src = []string{"alice@example.com"}
	alice := grants.Evaluate(cfg, identity.Identity{LoginName: "alice@example.com"})
	bob := grants.Evaluate(cfg, identity.Identity{LoginName: "bob@example.com"})

	var fqns []string
	var all []ModelInfo = Models(cfg, alice)
	for _, m := range all {
		fqns = append(fqns, m.FQN)
	}
	want := []string{
		"openrouter/deepseek/deepseek-r1",
		"anthropic/claude-sonnet-4-5", "anthropic/claude-opus-4-5",
		"gemini/gemini-2.5-pro",
		"openai/gpt-5",
	}
	if !slices.Equal(fqns, want) {
		t.Fatalf("alice sees %q, want %q", fqns, want)
	}
	byFQN := map[string]ModelInfo{}
	for _, m := range all {
		byFQN[m.FQN] = m
	}
	if m := byFQN["openai/gpt-5"]; !slices.Equal(m.APIs, []config.API{config.OpenAIChat, config.OpenAIResponses}) ||
		!slices.Equal(m.Endpoints(), []string{"/v1/chat/completions", "/v1/responses"}) || m.ID != "gpt-5" || m.ProviderID != "openai" {
		t.Errorf("gpt-5 = %+v %v", m, m.Endpoints())
	}
	if m := byFQN["openrouter/deepseek/deepseek-r1"]; m.ID != "deepseek/deepseek-r1" || !slices.Equal(m.APIs, []config.API{config.OpenAIChat}) {
		t.Errorf("deepseek = %+v", m)
	}
	if got := byFQN["gemini/gemini-2.5-pro"].Endpoints(); !slices.Equal(got, []string{"/v1beta/models/gemini-2.5-pro:generateContent"}) {
		t.Errorf("gemini endpoints = %v", got)
	}
	if got := byFQN["anthropic/claude-opus-4-5"].Endpoints(); !slices.Equal(got, []string{"/v1/messages"}) {
		t.Errorf("anthropic endpoints = %v", got)
	}

	fqns = nil
	for _, m := range Models(cfg, bob) {
		fqns = append(fqns, m.FQN)
	}
	if !slices.Equal(fqns, []string{"anthropic/claude-sonnet-4-5", "anthropic/claude-opus-4-5"}) {
		t.Errorf("bob sees %q", fqns)
	}
	if got := Models(cfg, grants.Evaluate(cfg, identity.Identity{Tags: []string{"tag:x"}})); len(got) != 0 {
		t.Errorf("caller without models sees %d models", len(got))
	}
	if got := Models(cfg, nil); len(got) != 0 {
		t.Errorf("nil access sees %d models; want deny by default", len(got))
	}
	if Models(nil, alice) != nil {
		t.Error("nil config lists models")
	}
}
