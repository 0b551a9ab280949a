package routing

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

const benchRoutingConfig = `{
  "providers": {
    "openai": {"baseurl": "https://api.openai.com", "models": ["gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini", "o3"],
      "compatibility": {"openai_chat": true, "openai_responses": true}},
    "azure": {"baseurl": "https://example.openai.azure.com", "models": ["gpt-4o"], "compatibility": {"openai_chat": true}},
    "anthropic": {"baseurl": "https://api.anthropic.com", "models": ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5"],
      "compatibility": {"anthropic_messages": true}},
    "gemini": {"baseurl": "https://generativelanguage.googleapis.com", "models": ["gemini-2.5-flash", "gemini-2.5-pro"],
      "compatibility": {"gemini_generate_content": true}},
  },
}`

// BenchmarkCandidates is the per-request model → provider lookup.
func BenchmarkCandidates(b *testing.B) {
	cfg, _, err := config.Parse([]byte(benchRoutingConfig))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		api   config.API
		model string
		want  int
	}{
		{"chat-two-providers", config.OpenAIChat, "gpt-4o", 2},
		{"messages", config.AnthropicMessages, "claude-sonnet-4-5", 1},
		{"fqn", config.OpenAIChat, "azure/gpt-4o", 1},
		{"unknown", config.OpenAIChat, "no-such-model", 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := Candidates(cfg, tc.api, tc.model); len(got) != tc.want {
					b.Fatalf("%d candidates, want %d", len(got), tc.want)
				}
			}
		})
	}
}

// BenchmarkJoinURL builds the upstream URL of every request.
func BenchmarkJoinURL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JoinURL("https://api.openai.com/v1", "/v1/chat/completions", "a=b"); err != nil {
			b.Fatal(err)
		}
	}
}
