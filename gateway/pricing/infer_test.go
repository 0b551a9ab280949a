package pricing

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestInferCostBasis(t *testing.T) {
	chat := map[config.API]bool{config.OpenAIChat: true}
	oai := map[config.API]bool{config.OpenAIChat: true, config.OpenAIResponses: true}
	anth := map[config.API]bool{config.AnthropicMessages: true}
	gem := map[config.API]bool{config.GeminiGenerateContent: true}
	tests := []struct {
		name    string
		compat  map[config.API]bool
		baseURL string
		want    string
	}{
		{"openai", oai, "https://api.openai.com/", "openai"},
		{"anthropic", anth, "https://api.anthropic.com", "anthropic"},
		{"gemini", gem, "https://generativelanguage.googleapis.com", "gemini"},
		{"openrouter speaks chat but bills its own", chat, "https://openrouter.ai/api/", "openrouter"},
		{"vercel", oai, "https://ai-gateway.vercel.sh", "vercel"},
		{"azure foundry", oai, "https://res.services.ai.azure.com/api/projects/p/openai/", "azure"},
		{"bedrock must be explicit", anth, "https://bedrock-runtime.us-east-1.amazonaws.com", ""},
		{"vertex", gem, "https://aiplatform.googleapis.com", "vertex"},
		{"unknown host, anthropic flag", anth, "https://api.z.ai/api/anthropic", "anthropic"},
		{"unknown host, gemini flag", gem, "https://gemini-proxy.example.com", "gemini"},
		{"unknown host, openai flag", chat, "https://llm.example.com/v1", "openai"},
		{"anthropic flag first", map[config.API]bool{config.OpenAIChat: true, config.AnthropicMessages: true}, "https://x.example.com", "anthropic"},
		{"self-hosted loopback", chat, "http://127.0.0.1:8080/v1", ""},
		{"self-hosted localhost", chat, "http://localhost:11434", ""},
		{"self-hosted private IP", chat, "http://192.168.1.5:8000", ""},
		{"self-hosted tailnet IP", chat, "http://100.101.102.103:8000", ""},
		{"self-hosted MagicDNS", chat, "http://gpu-box.tail1234.ts.net", ""},
		{"self-hosted bare name", chat, "http://vllm:8000", ""},
		{"no flags", map[config.API]bool{}, "https://llm.example.com", ""},
		{"flag off", map[config.API]bool{config.AnthropicMessages: false}, "https://llm.example.com", ""},
		{"host without scheme", oai, "api.openai.com", "openai"},
		{"host case", oai, "https://API.OpenAI.com.", "openai"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InferCostBasis(tt.compat, tt.baseURL); got != tt.want {
				t.Errorf("InferCostBasis = %q, want %q", got, tt.want)
			}
		})
	}
}
