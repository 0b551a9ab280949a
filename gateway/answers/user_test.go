package answers

import (
	"testing"
	"unicode/utf8"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestUserMessage(t *testing.T) {
	tests := []struct {
		name string
		api  config.API
		body string
		want string
	}{
		{"chat string", config.OpenAIChat,
			`{"messages":[{"role":"system","content":"be nice"},{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":"second"}]}`, "second"},
		{"chat parts", config.OpenAIChat,
			`{"messages":[{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:"}},{"type":"text","text":"here"}]}]}`, "look\nhere"},
		{"chat after tool results", config.OpenAIChat,
			`{"messages":[{"role":"user","content":"weather?"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"21C"}]}`, "weather?"},
		{"chat image only passed over", config.OpenAIChat,
			`{"messages":[{"role":"user","content":"describe"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, "describe"},
		{"responses string input", config.OpenAIResponses, `{"input":"hello"}`, "hello"},
		{"responses items", config.OpenAIResponses,
			`{"input":[{"role":"developer","content":"rules"},{"type":"message","role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"x"},{"type":"input_text","text":"b"}]},` +
				`{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"42"}]}`, "a\nb"},
		{"responses easy message", config.OpenAIResponses, `{"input":[{"role":"user","content":"hi there"}]}`, "hi there"},
		{"anthropic string", config.AnthropicMessages,
			`{"system":"x","messages":[{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},{"role":"user","content":"q2"}]}`, "q2"},
		{"anthropic blocks, tool results skipped", config.AnthropicMessages,
			`{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"file contents"},{"type":"text","text":"now fix it"}]}]}`, "now fix it"},
		{"anthropic tool results only: the instruction before", config.AnthropicMessages,
			`{"messages":[{"role":"user","content":"list /tmp"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"ls","input":{}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a b"}]}]}]}`, "list /tmp"},
		{"gemini", config.GeminiGenerateContent,
			`{"contents":[{"role":"user","parts":[{"text":"one"}]},{"role":"model","parts":[{"text":"reply"}]},{"role":"user","parts":[{"text":"two"},{"inlineData":{"mimeType":"image/png","data":""}},{"text":"three"}]}]}`, "two\nthree"},
		{"gemini without role", config.GeminiGenerateContent, `{"contents":[{"parts":[{"text":"solo"}]}]}`, "solo"},
		{"gemini function responses passed over", config.GeminiGenerateContent,
			`{"contents":[{"role":"user","parts":[{"text":"weather?"}]},{"role":"model","parts":[{"functionCall":{"name":"w","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"w","response":{"t":21}}}]}]}`, "weather?"},
		{"no user message", config.OpenAIChat, `{"messages":[{"role":"system","content":"x"}]}`, ""},
		{"not json", config.OpenAIChat, `{"messages":[`, ""},
		{"unknown api", config.API("bedrock"), `{"messages":[{"role":"user","content":"x"}]}`, ""},
		{"mistyped content", config.AnthropicMessages, `{"messages":[{"role":"user","content":7},{"role":"user","content":{"text":"x"}}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UserMessage(tt.api, []byte(tt.body)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzUserMessage checks that any body gives valid UTF-8 (what
// encoding/json decodes always is) without panicking.
func FuzzUserMessage(f *testing.F) {
	for _, r := range fakeRequests {
		f.Add(apiIndex(r.api), []byte(r.body))
	}
	f.Add(apiIndex(config.AnthropicMessages), []byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"\xff"}]}]}`))
	f.Add(apiIndex(config.OpenAIResponses), []byte(`{"input":[{"role":"user","content":[{"type":"input_text","text":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, api uint8, body []byte) {
		if s := UserMessage(fuzzAPI(api), body); !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
	})
}
