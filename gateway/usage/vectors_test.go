package usage

import (
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// vector is one recorded-style response and the usage it must yield.
type vector struct {
	name     string
	api      config.API
	stream   bool
	body     string
	complete bool // Finish argument
	want     Usage
}

// sse joins events written one per element, each ending in a blank line.
func sse(events ...string) string {
	return strings.Join(events, "\n\n") + "\n\n"
}

var (
	chatStream = sse(
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}`,
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"say \"usage\":{\"prompt_tokens\":9}"},"finish_reason":null}],"usage":null}`,
		`: keep-alive comment`,
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}`,
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":50,"total_tokens":1250,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":20,"audio_tokens":0}}}`,
		`data: [DONE]`,
	)
	chatStreamUsage = Usage{InputTokens: 176, CachedTokens: 1024, OutputTokens: 50, ReasoningTokens: 20, Found: true}

	responsesStream = sse(
		"event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"in_progress\",\"usage\":null}}",
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}",
		"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hi\"}]}],\"usage\":{\"input_tokens\":5000,\"input_tokens_details\":{\"cached_tokens\":4096},\"output_tokens\":700,\"output_tokens_details\":{\"reasoning_tokens\":512},\"total_tokens\":5700}}}",
	)
	responsesUsageWant = Usage{InputTokens: 904, CachedTokens: 4096, OutputTokens: 700, ReasoningTokens: 512, Found: true}

	anthropicStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":20000,\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000},\"output_tokens\":1,\"service_tier\":\"standard\"}}}"
	anthropicBody  = []string{
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
		"event: ping\ndata: {\"type\": \"ping\"}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello \\\"usage\\\"\"}}",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
	}
	// message_delta of newer API versions repeats the cumulative input and
	// cache counts: they must replace, not add to, message_start's.
	anthropicDeltaFull = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":20000,\"output_tokens\":345}}"
	anthropicDeltaOld  = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":345}}"
	anthropicStop      = "event: message_stop\ndata: {\"type\":\"message_stop\"}"
	anthropicWant      = Usage{InputTokens: 12, CachedTokens: 20000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000, CacheCreation1hTokens: 2000, OutputTokens: 345, Found: true}

	geminiChunk1 = `{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":2,"totalTokenCount":102},"modelVersion":"gemini-2.5-flash"}`
	geminiChunk2 = `{"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":10,"thoughtsTokenCount":90,"totalTokenCount":200},"modelVersion":"gemini-2.5-flash"}`
	geminiWant   = Usage{InputTokens: 60, CachedTokens: 40, OutputTokens: 100, ReasoningTokens: 90, Found: true}
)

func anthropicStream(parts ...string) string {
	return sse(parts...)
}

func vectors() []vector {
	var v []vector
	add := func(x vector) { x.complete = !strings.HasPrefix(x.name, "broken"); v = append(v, x) }

	// OpenAI chat completions.
	add(vector{name: "chat/json", api: config.OpenAIChat, body: `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","metadata":{"usage":{"prompt_tokens":999}},"choices":[{"index":0,"message":{"role":"assistant","content":"the \"usage\": {\"prompt_tokens\": 7} field"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":64,"audio_tokens":0}},"system_fingerprint":"fp"}`,
		want: Usage{InputTokens: 86, CachedTokens: 1920, OutputTokens: 300, ReasoningTokens: 64, Found: true}})
	add(vector{name: "chat/json-pretty", api: config.OpenAIChat, body: "\n{\n  \"usage\" : {\n    \"prompt_tokens\": 10,\n    \"completion_tokens\": 5\n  }\n}\n",
		want: Usage{InputTokens: 10, OutputTokens: 5, Found: true}})
	add(vector{name: "chat/json-usage-null", api: config.OpenAIChat, body: `{"id":"x","choices":[],"usage":null}`,
		want: Usage{}})
	add(vector{name: "chat/json-cache-write", api: config.OpenAIChat, body: `{"usage":{"prompt_tokens":1000,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":100,"cache_write_tokens":800}}}`,
		want: Usage{InputTokens: 100, CachedTokens: 100, CacheCreationTokens: 800, CacheCreation5mTokens: 800, OutputTokens: 5, Found: true}})
	add(vector{name: "chat/stream", api: config.OpenAIChat, stream: true, body: chatStream, want: chatStreamUsage})
	add(vector{name: "chat/stream-crlf", api: config.OpenAIChat, stream: true, body: strings.ReplaceAll(chatStream, "\n", "\r\n"), want: chatStreamUsage})
	add(vector{name: "chat/stream-no-usage", api: config.OpenAIChat, stream: true, body: sse(
		`data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"}}]}`, `data: [DONE]`),
		want: Usage{}})
	add(vector{name: "chat/stream-error-json", api: config.OpenAIChat, stream: true, body: `{"error":{"message":"rate limited","type":"rate_limit_error"}}`,
		want: Usage{}})
	add(vector{name: "broken/chat-stream-before-usage", api: config.OpenAIChat, stream: true, body: chatStream[:strings.Index(chatStream, `"choices":[],`)-60],
		want: Usage{Interrupted: true}})
	add(vector{name: "broken/chat-stream-before-done", api: config.OpenAIChat, stream: true, body: chatStream[:strings.Index(chatStream, "data: [DONE]")],
		want: func() Usage { u := chatStreamUsage; u.Interrupted = true; return u }()})

	// OpenAI responses.
	add(vector{name: "responses/json", api: config.OpenAIResponses, body: `{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"{\"usage\":1}"}]}],"usage":{"input_tokens":5000,"input_tokens_details":{"cached_tokens":4096},"output_tokens":700,"output_tokens_details":{"reasoning_tokens":512},"total_tokens":5700}}`,
		want: responsesUsageWant})
	add(vector{name: "responses/stream", api: config.OpenAIResponses, stream: true, body: responsesStream, want: responsesUsageWant})
	add(vector{name: "responses/stream-no-event-lines", api: config.OpenAIResponses, stream: true,
		body: strings.NewReplacer("event: response.created\n", "", "event: response.output_text.delta\n", "", "event: response.completed\n", "").Replace(responsesStream),
		want: responsesUsageWant})
	add(vector{name: "responses/stream-incomplete", api: config.OpenAIResponses, stream: true,
		body: strings.ReplaceAll(responsesStream, "response.completed", "response.incomplete"), want: responsesUsageWant})
	add(vector{name: "broken/responses-stream", api: config.OpenAIResponses, stream: true,
		body: responsesStream[:strings.Index(responsesStream, "event: response.completed")], want: Usage{Interrupted: true}})

	// Anthropic messages.
	add(vector{name: "anthropic/json", api: config.AnthropicMessages, body: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"usage":{"input_tokens":5}}}],"usage":{"input_tokens":100,"cache_creation_input_tokens":500,"cache_read_input_tokens":0,"output_tokens":20}}`,
		want: Usage{InputTokens: 100, CacheCreationTokens: 500, CacheCreation5mTokens: 500, OutputTokens: 20, Found: true}})
	add(vector{name: "anthropic/json-1h", api: config.AnthropicMessages, body: `{"usage":{"input_tokens":3,"cache_creation_input_tokens":700,"cache_read_input_tokens":9,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":700},"output_tokens":2}}`,
		want: Usage{InputTokens: 3, CachedTokens: 9, CacheCreationTokens: 700, CacheCreation1hTokens: 700, OutputTokens: 2, Found: true}})
	add(vector{name: "anthropic/stream-cumulative-delta", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(append(append([]string{anthropicStart}, anthropicBody...), anthropicDeltaFull, anthropicStop)...), want: anthropicWant})
	add(vector{name: "anthropic/stream-output-only-delta", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(append(append([]string{anthropicStart}, anthropicBody...), anthropicDeltaOld, anthropicStop)...), want: anthropicWant})
	add(vector{name: "anthropic/stream-counts-only-in-delta", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}",
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"input_tokens\":50,\"cache_read_input_tokens\":7,\"output_tokens\":9}}",
			anthropicStop),
		want: Usage{InputTokens: 50, CachedTokens: 7, OutputTokens: 9, Found: true}})
	add(vector{name: "anthropic/stream-no-event-lines", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(
			"data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":4,\"output_tokens\":1}}}",
			"data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}",
			"data: {\"type\":\"message_stop\"}"),
		want: Usage{InputTokens: 4, OutputTokens: 9, Found: true}})
	add(vector{name: "broken/anthropic-after-start", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(append([]string{anthropicStart}, anthropicBody...)...),
		want: Usage{InputTokens: 12, CachedTokens: 20000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000, CacheCreation1hTokens: 2000, OutputTokens: 1, Found: true, Interrupted: true}})
	add(vector{name: "broken/anthropic-midline", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(anthropicStart, anthropicDeltaFull)[:len(anthropicStart)+40],
		want: Usage{InputTokens: 12, CachedTokens: 20000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000, CacheCreation1hTokens: 2000, OutputTokens: 1, Found: true, Interrupted: true}})

	// Gemini generateContent.
	add(vector{name: "gemini/json", api: config.GeminiGenerateContent, body: geminiChunk2, want: geminiWant})
	add(vector{name: "gemini/sse", api: config.GeminiGenerateContent, stream: true,
		body: "data: " + geminiChunk1 + "\r\n\r\ndata: " + geminiChunk2 + "\r\n\r\n", want: geminiWant})
	add(vector{name: "gemini/json-array", api: config.GeminiGenerateContent, stream: true,
		body: "[" + geminiChunk1 + ",\r\n" + geminiChunk2 + "\r\n]", want: geminiWant})
	add(vector{name: "gemini/sse-blocked-prompt", api: config.GeminiGenerateContent, stream: true,
		body: "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":8,\"totalTokenCount\":8}}\r\n\r\n",
		want: Usage{InputTokens: 8, Found: true}})
	add(vector{name: "broken/gemini-sse", api: config.GeminiGenerateContent, stream: true,
		body: "data: " + geminiChunk1 + "\r\n\r\n",
		want: Usage{InputTokens: 100, OutputTokens: 2, Found: true, Interrupted: true}})
	add(vector{name: "broken/gemini-json", api: config.GeminiGenerateContent,
		body: geminiChunk2[:len(geminiChunk2)-30], // cut after usageMetadata closed
		want: func() Usage { u := geminiWant; u.Interrupted = true; return u }()})
	add(vector{name: "broken/gemini-json-in-usage", api: config.GeminiGenerateContent,
		body: geminiChunk2[:len(geminiChunk2)-60], want: Usage{Interrupted: true}})
	add(vector{name: "gemini/no-usage", api: config.GeminiGenerateContent, stream: true,
		body: "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"STOP\"}]}\n\n",
		want: Usage{}})
	add(vector{name: "empty-body", api: config.OpenAIChat, stream: true, body: "", want: Usage{Interrupted: true}})
	return v
}
