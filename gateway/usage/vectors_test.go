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
	anthropicWant      = Usage{InputTokens: 12, CachedTokens: 20000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000, CacheCreation1hTokens: 2000, OutputTokens: 345, ServiceTier: "standard", Found: true}

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
	// gpt-4o-audio-preview: audio in and out, priced apart from text
	// (shape of the audio guide's example response).
	add(vector{name: "chat/json-audio", api: config.OpenAIChat, body: `{"id":"chatcmpl-a","object":"chat.completion","model":"gpt-4o-audio-preview-2025-06-03","choices":[{"index":0,"message":{"role":"assistant","content":null,"audio":{"id":"audio_1","data":"UklGRg==","expires_at":1,"transcript":"Hi"}},"finish_reason":"stop"}],"usage":{"prompt_tokens":317,"completion_tokens":223,"total_tokens":540,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":300,"text_tokens":17,"image_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":180,"text_tokens":43,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default"}`,
		want: Usage{InputTokens: 317, InputAudioTokens: 300, OutputTokens: 223, OutputAudioTokens: 180, ServiceTier: "default", Found: true}})
	add(vector{name: "chat/stream-audio", api: config.OpenAIChat, stream: true, body: sse(
		`data: {"id":"c2","object":"chat.completion.chunk","model":"gpt-4o-audio-preview","choices":[{"index":0,"delta":{"audio":{"transcript":"Hi"}},"finish_reason":"stop"}],"usage":null}`,
		`data: {"id":"c2","object":"chat.completion.chunk","model":"gpt-4o-audio-preview","choices":[],"usage":{"prompt_tokens":1300,"completion_tokens":90,"total_tokens":1390,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":400},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":70}}}`,
		`data: [DONE]`),
		// 276 uncached tokens cannot all be audio: the rest of the audio was cached.
		want: Usage{InputTokens: 276, InputAudioTokens: 276, CachedTokens: 1024, OutputTokens: 90, OutputAudioTokens: 70, Found: true}})

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
		want: Usage{InputTokens: 12, CachedTokens: 20000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000, CacheCreation1hTokens: 2000, OutputTokens: 1, ServiceTier: "standard", Found: true, Interrupted: true}})
	add(vector{name: "broken/anthropic-midline", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(anthropicStart, anthropicDeltaFull)[:len(anthropicStart)+40],
		want: Usage{InputTokens: 12, CachedTokens: 20000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000, CacheCreation1hTokens: 2000, OutputTokens: 1, ServiceTier: "standard", Found: true, Interrupted: true}})
	// Server tool use (shape of the web search tool guide's response) and
	// a batch-tier result.
	add(vector{name: "anthropic/json-web-search", api: config.AnthropicMessages, body: `{"id":"msg_ws","type":"message","role":"assistant","model":"claude-opus-4-1-20250805","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"claude shannon birth date"}},{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://en.wikipedia.org/wiki/Claude_Shannon","title":"Claude Shannon","encrypted_content":"EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y","page_age":"April 30, 2025"}]},{"type":"text","text":"Claude Shannon was born on April 30, 1916"}],"stop_reason":"end_turn","usage":{"input_tokens":6039,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":931,"server_tool_use":{"web_search_requests":3,"web_fetch_requests":1},"service_tier":"standard"}}`,
		want: Usage{InputTokens: 6039, OutputTokens: 931, WebSearches: 3, WebFetches: 1, ServiceTier: "standard", Found: true}})
	add(vector{name: "anthropic/json-batch-tier", api: config.AnthropicMessages, body: `{"id":"msg_b","type":"message","usage":{"input_tokens":1000,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":200,"service_tier":"batch"}}`,
		want: Usage{InputTokens: 1000, OutputTokens: 200, ServiceTier: "batch", Found: true}})
	// Streamed, the search count comes in message_delta.
	add(vector{name: "anthropic/stream-web-search", api: config.AnthropicMessages, stream: true,
		body: anthropicStream(
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"usage\":{\"input_tokens\":2679,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":3,\"service_tier\":\"priority\"}}}",
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_2\",\"name\":\"web_search\",\"input\":{}}}",
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":10682,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":510,\"server_tool_use\":{\"web_search_requests\":1}}}",
			anthropicStop),
		want: Usage{InputTokens: 10682, OutputTokens: 510, WebSearches: 1, ServiceTier: "priority", Found: true}})

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
	// Modalities: audio input with a tool-use prompt (code execution
	// results), and an image model's output.
	add(vector{name: "gemini/json-audio-tool-use", api: config.GeminiGenerateContent, body: `{"candidates":[{"content":{"parts":[{"text":"It says hello."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3300,"candidatesTokenCount":40,"totalTokenCount":3880,"cachedContentTokenCount":1000,"promptTokensDetails":[{"modality":"TEXT","tokenCount":300},{"modality":"AUDIO","tokenCount":3000}],"cacheTokensDetails":[{"modality":"AUDIO","tokenCount":1000}],"candidatesTokensDetails":[{"modality":"TEXT","tokenCount":40}],"toolUsePromptTokenCount":500,"toolUsePromptTokensDetails":[{"modality":"TEXT","tokenCount":500}],"thoughtsTokenCount":40},"modelVersion":"gemini-2.5-flash","responseId":"r1"}`,
		want: Usage{InputTokens: 2800, InputAudioTokens: 2000, CachedTokens: 1000, CachedAudioTokens: 1000, OutputTokens: 80, ReasoningTokens: 40, Found: true}})
	add(vector{name: "gemini/json-image-output", api: config.GeminiGenerateContent, body: `{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":270,"candidatesTokenCount":1290,"totalTokenCount":1560,"promptTokensDetails":[{"modality":"TEXT","tokenCount":12},{"modality":"IMAGE","tokenCount":258}],"candidatesTokensDetails":[{"modality":"IMAGE","tokenCount":1290}]},"modelVersion":"gemini-2.5-flash-image"}`,
		want: Usage{InputTokens: 270, InputImageTokens: 258, OutputTokens: 1290, OutputImageTokens: 1290, Found: true}})
	add(vector{name: "empty-body", api: config.OpenAIChat, stream: true, body: "", want: Usage{Interrupted: true}})
	return v
}
