package fakellm

import (
	"encoding/json"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestParseCall(t *testing.T) {
	tests := []struct {
		name string
		api  config.API
		body string
		want call
	}{
		{"chat string content", config.OpenAIChat,
			`{"model":"gpt-4o","messages":[{"role":"system","content":"sys"},{"role":"user","content":"first"},{"role":"assistant","content":"a"},{"role":"user","content":"last"}]}`,
			call{model: "gpt-4o", store: true, prompt: "last"}},
		{"chat parts and include_usage", config.OpenAIChat,
			`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"},{"type":"text","text":"b"}]}]}`,
			call{model: "m", stream: true, includeUsage: true, store: true, prompt: "ab"}},
		{"chat trailing assistant", config.OpenAIChat,
			`{"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`,
			call{model: "m", store: true, prompt: "q"}},
		{"responses string input", config.OpenAIResponses,
			`{"model":"gpt-4o","input":"respond with: hi","store":false}`,
			call{model: "gpt-4o", store: false, prompt: "respond with: hi"}},
		{"responses item input", config.OpenAIResponses,
			`{"model":"gpt-4o","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"x"}]}]}`,
			call{model: "gpt-4o", stream: true, store: true, prompt: "x"}},
		{"anthropic", config.AnthropicMessages,
			`{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hey"}]}]}`,
			call{model: "claude", store: true, prompt: "hey", maxTokens: 5}},
		{"gemini roleless contents", config.GeminiGenerateContent,
			`{"contents":[{"parts":[{"text":"g1"},{"text":"g2"}]}]}`,
			call{store: true, prompt: "g1g2"}},
		{"gemini model turn skipped", config.GeminiGenerateContent,
			`{"contents":[{"role":"user","parts":[{"text":"u"}]},{"role":"model","parts":[{"text":"m"}]}]}`,
			call{store: true, prompt: "u"}},
		{"not an object", config.OpenAIChat, `[1,2]`, call{store: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if err := json.Unmarshal([]byte(tt.body), &body); err != nil {
				t.Fatal(err)
			}
			if got := parseCall(tt.api, body); got != tt.want {
				t.Errorf("parseCall = %+v, want %+v", got, tt.want)
			}
		})
	}
}
