package usage

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// TestUsageReadAsTheSDKReadsIt: the usage the meter reads is the one the
// caller's SDK reads, member for member. A model's text or a tool call's
// arguments can hold look-alikes of the usage members (nested objects,
// case variants); they must not be read as the usage, and a real usage
// written with escapes or spaces must not be missed.
func TestUsageReadAsTheSDKReadsIt(t *testing.T) {
	gem := func(chunks ...string) string {
		s := ""
		for _, c := range chunks {
			s += "data: " + c + "\r\n\r\n"
		}
		return s
	}
	chatUsage := `{"prompt_tokens":1200,"completion_tokens":50,"total_tokens":1250}`
	chatWant := Usage{InputTokens: 1200, OutputTokens: 50, Found: true}
	tests := []struct {
		name string
		api  config.API
		body string
		want Usage
	}{
		{"chat usage under an escaped name", config.OpenAIChat, sse(
			`data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":"hi"}}]}`,
			`data: {"object":"chat.completion.chunk","choices":[],"\u0075sage":`+chatUsage+`}`,
			`data: [DONE]`), chatWant},
		{"chat usage spaced out", config.OpenAIChat, sse(
			"data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\"\t: \t"+chatUsage+" }",
			`data: [DONE]`), chatWant},
		{"chat: a nested usage and a case variant are not the usage", config.OpenAIChat, sse(
			`data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":"say \"usage\":{\"prompt_tokens\":1}"}}],"usage":null,"x_meta":{"usage":{"prompt_tokens":999999,"completion_tokens":999999}}}`,
			`data: {"object":"chat.completion.chunk","choices":[],"usage":`+chatUsage+`,"Usage":{"prompt_tokens":1,"completion_tokens":1}}`,
			`data: [DONE]`), chatWant},
		{"anthropic: the usage, not its case variant", config.AnthropicMessages, sse(anthropicStart, anthropicBody[2],
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":345},\"USAGE\":{\"output_tokens\":999999}}",
			anthropicStop),
			Usage{InputTokens: 12, CachedTokens: 20000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000, CacheCreation1hTokens: 2000, OutputTokens: 345, ServiceTier: "standard", Found: true}},
		{"responses usage under an escaped name", config.OpenAIResponses, sse(
			"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}",
			"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"metadata\":{\"usage\":{\"input_tokens\":999999}},\"\\u0075sage\":{\"input_tokens\":5000,\"output_tokens\":700}}}"),
			Usage{InputTokens: 5000, OutputTokens: 700, Found: true}},
		{"gemini: usageMetadata in a tool call's arguments is content", config.GeminiGenerateContent, gem(
			`{"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":10,"totalTokenCount":110},"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"usageMetadata":{"promptTokenCount":999999,"candidatesTokenCount":999999}}}}],"role":"model"},"finishReason":"STOP","index":0}]}`),
			Usage{InputTokens: 100, OutputTokens: 10, Found: true}},
		{"gemini: no usageMetadata but a look-alike", config.GeminiGenerateContent, gem(
			`{"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":2,"totalTokenCount":102},"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}]}`,
			`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"usageMetadata":{"promptTokenCount":999999}}}}],"role":"model"},"finishReason":"STOP","index":0}]}`),
			// The last chunk has no usage: its content is estimated.
			Usage{InputTokens: 100, OutputTokens: 12, Found: true, Estimated: true}},
		{"gemini: finishReason under an escaped name ends the answer", config.GeminiGenerateContent, gem(
			`{"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"finish\u0052eason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":10,"totalTokenCount":110}}`),
			Usage{InputTokens: 100, OutputTokens: 10, Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(tt.api, true, true, tt.body)
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestJSONBodyUsageAsADecoderReadsIt: a non-streamed answer's usage is
// its last top-level "usage", whatever its spelling, as a decoder keeps it.
func TestJSONBodyUsageAsADecoderReadsIt(t *testing.T) {
	tests := []struct {
		name string
		api  config.API
		body string
		want Usage
	}{
		{"escaped name", config.OpenAIChat, `{"choices":[{"message":{"content":"\"usage\":{\"prompt_tokens\":9}"}}],"\u0075sage":{"prompt_tokens":10,"completion_tokens":5}}`,
			Usage{InputTokens: 10, OutputTokens: 5, Found: true}},
		{"anthropic: the last usage, not a merge", config.AnthropicMessages, `{"content":[],"usage":{"input_tokens":500,"output_tokens":10},"usage":{"output_tokens":3}}`,
			Usage{OutputTokens: 3, Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(tt.api, false, true, tt.body); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestUsageChunkUnderAnEscapedNameIsHidden(t *testing.T) {
	content := `data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":"hi"}}]}`
	hidden := `data: {"object":"chat.completion.chunk","choices":[],"\u0075sage":{"prompt_tokens":1,"completion_tokens":1}}`
	nested := `data: {"object":"chat.completion.chunk","choices":[],"usage":null,"x":{"usage":{"prompt_tokens":1}}}`
	if got, want := filterAll(sse(content, hidden, nested, "data: [DONE]")), sse(content, nested, "data: [DONE]"); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
