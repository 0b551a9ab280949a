package routing

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

const routingConfig = `{
  "providers": {
    "anthropic": {"baseurl": "https://api.anthropic.com", "models": ["claude-sonnet-4-5", "claude-opus-4-5"],
                  "compatibility": {"anthropic_messages": true}},
    "bedrock": {"baseurl": "https://bedrock", "models": ["claude-sonnet-4-5"], "preference": 10,
                "compatibility": {"anthropic_messages": true}},
    "vertex": {"baseurl": "https://vertex", "models": ["claude-sonnet-4-5"], "preference": 10,
               "compatibility": {"anthropic_messages": true}},
    "zai": {"baseurl": "https://api.z.ai/api/anthropic", "models": ["claude-opus-4-5"], "preference": -1,
            "compatibility": {"anthropic_messages": true, "openai_chat": true}},
    "openai": {"baseurl": "https://api.openai.com", "models": ["gpt-5", "deepseek-r1"],
               "compatibility": {"openai_chat": true, "openai_responses": true}},
    "openrouter": {"baseurl": "https://openrouter.ai/api/", "models": ["deepseek/deepseek-r1", "openai/gpt-5"]},
    "old": {"baseurl": "https://old", "models": ["gpt-5", "claude-opus-4-5"], "preference": 100, "disabled": true,
            "compatibility": {"openai_chat": true, "anthropic_messages": true}},
    "gemini": {"baseurl": "https://generativelanguage.googleapis.com", "models": ["gemini-2.5-pro"],
               "compatibility": {"gemini_generate_content": true}},
  },
}`

func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, _, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func routeIDs(routes []Route) []string {
	var ids []string
	for _, r := range routes {
		ids = append(ids, r.ProviderID+"|"+r.Model+"|"+r.FQN)
	}
	return ids
}

func TestCandidates(t *testing.T) {
	cfg := parse(t, routingConfig)
	tests := []struct {
		name  string
		api   config.API
		model string
		want  []string
	}{
		{"preference then id", config.AnthropicMessages, "claude-sonnet-4-5",
			[]string{"bedrock|claude-sonnet-4-5|bedrock/claude-sonnet-4-5", "vertex|claude-sonnet-4-5|vertex/claude-sonnet-4-5", "anthropic|claude-sonnet-4-5|anthropic/claude-sonnet-4-5"}},
		{"negative preference last, disabled excluded", config.AnthropicMessages, "claude-opus-4-5",
			[]string{"anthropic|claude-opus-4-5|anthropic/claude-opus-4-5", "zai|claude-opus-4-5|zai/claude-opus-4-5"}},
		{"compat filter", config.OpenAIChat, "claude-opus-4-5",
			[]string{"zai|claude-opus-4-5|zai/claude-opus-4-5"}},
		{"no provider speaks the api", config.OpenAIResponses, "claude-sonnet-4-5", nil},
		{"default compat is openai_chat", config.OpenAIChat, "deepseek/deepseek-r1",
			[]string{"openrouter|deepseek/deepseek-r1|openrouter/deepseek/deepseek-r1"}},
		{"openrouter not responses", config.OpenAIResponses, "deepseek/deepseek-r1", nil},
		{"provider/model syntax", config.AnthropicMessages, "anthropic/claude-sonnet-4-5",
			[]string{"anthropic|claude-sonnet-4-5|anthropic/claude-sonnet-4-5"}},
		{"fqn with slashy model", config.OpenAIChat, "openrouter/deepseek/deepseek-r1",
			[]string{"openrouter|deepseek/deepseek-r1|openrouter/deepseek/deepseek-r1"}},
		{"exact id beats fqn reading", config.OpenAIChat, "openai/gpt-5",
			[]string{"openrouter|openai/gpt-5|openrouter/openai/gpt-5"}},
		{"fqn to disabled provider", config.OpenAIChat, "old/gpt-5", nil},
		{"fqn compat filter", config.OpenAIChat, "anthropic/claude-sonnet-4-5", nil},
		{"fqn unknown provider", config.OpenAIChat, "nope/gpt-5", nil},
		{"bare id, two providers", config.OpenAIChat, "gpt-5", []string{"openai|gpt-5|openai/gpt-5"}},
		{"gemini", config.GeminiGenerateContent, "gemini-2.5-pro", []string{"gemini|gemini-2.5-pro|gemini/gemini-2.5-pro"}},
		{"unknown model", config.OpenAIChat, "gpt-9", nil},
		{"empty model", config.OpenAIChat, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes := Candidates(cfg, tt.api, tt.model)
			got := routeIDs(routes)
			if len(got) != len(tt.want) {
				t.Fatalf("Candidates = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("route %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
			for _, r := range routes {
				if r.Provider != cfg.Providers[r.ProviderID] {
					t.Errorf("route %s has the wrong provider pointer", r.ProviderID)
				}
			}
		})
	}
	if Candidates(nil, config.OpenAIChat, "gpt-5") != nil {
		t.Error("nil config routed")
	}
}

func TestSplitFQN(t *testing.T) {
	tests := []struct {
		in, prov, model string
		ok              bool
	}{
		{"anthropic/claude", "anthropic", "claude", true},
		{"openrouter/deepseek/deepseek-r1", "openrouter", "deepseek/deepseek-r1", true},
		{"gpt-5", "", "", false},
		{"/x", "", "", false},
		{"x/", "", "", false},
	}
	for _, tt := range tests {
		p, m, ok := SplitFQN(tt.in)
		if p != tt.prov || m != tt.model || ok != tt.ok {
			t.Errorf("SplitFQN(%q) = %q %q %v", tt.in, p, m, ok)
		}
	}
	if FQN("openrouter", "a/b") != "openrouter/a/b" {
		t.Error("FQN")
	}
}
