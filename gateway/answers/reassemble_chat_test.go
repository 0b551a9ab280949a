package answers

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// sse writes events as a stream of data lines.
func sse(events ...string) []byte {
	var b []byte
	for _, e := range events {
		b = append(b, "data: "+e+"\n\n"...)
	}
	return b
}

func TestReassembleChat(t *testing.T) {
	tests := []struct {
		name   string
		events []string
		want   string // canonical JSON of the chat.completion
	}{
		{"two choices, refusal, reasoning, legacy function call",
			[]string{
				`{"id":"c1","object":"chat.completion.chunk","created":5,"model":"m","obfuscation":"xyz","choices":[{"index":1,"delta":{"role":"assistant","refusal":"I can"}},{"index":0,"delta":{"role":"assistant","reasoning_content":"hmm"}}]}`,
				`{"id":"c1","choices":[{"index":1,"delta":{"refusal":"not."},"finish_reason":"stop"},{"index":0,"delta":{"function_call":{"name":"f","arguments":"{\"a\""}}}]}`,
				`{"id":"c1","choices":[{"index":0,"delta":{"function_call":{"arguments":":1}"}},"finish_reason":"function_call"}]}`,
				`[DONE]`,
			},
			`{"choices":[` +
				`{"finish_reason":"function_call","index":0,"logprobs":null,"message":{"content":null,"function_call":{"arguments":"{\"a\":1}","name":"f"},"reasoning_content":"hmm","refusal":null,"role":"assistant"}},` +
				`{"finish_reason":"stop","index":1,"logprobs":null,"message":{"content":null,"refusal":"I cannot.","role":"assistant"}}],` +
				`"created":5,"id":"c1","model":"m","object":"chat.completion"}`},
		{"custom tool call streamed",
			[]string{
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"custom","custom":{"name":"sql","input":"SELECT"}}]}}]}`,
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"custom":{"input":" 1"}}]},"finish_reason":"tool_calls"}]}`,
			},
			`{"choices":[{"finish_reason":"tool_calls","index":0,"logprobs":null,"message":{"content":null,"refusal":null,"role":"assistant",` +
				`"tool_calls":[{"custom":{"input":"SELECT 1","name":"sql"},"id":"call_1","type":"custom"}]}}],"object":"chat.completion"}`},
		{"mistyped members are left out, not fatal",
			[]string{
				`{"choices":[{"index":"0","delta":{"content":"a"}},7]}`,
				`{"choices":[{"index":0,"delta":{"content":5,"tool_calls":[{"index":"x","function":{"name":"f"}}]}}],"usage":{"total_tokens":3}}`,
			},
			`{"choices":[{"finish_reason":null,"index":0,"logprobs":null,"message":{"content":"a","refusal":null,"role":"assistant",` +
				`"tool_calls":[{"function":{"arguments":"","name":"f"},"id":"","type":"function"}]}}],"object":"chat.completion","usage":{"total_tokens":3}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonical(t, Reassemble(config.OpenAIChat, sse(tt.events...))); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
