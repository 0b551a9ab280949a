package usage

import "testing"

func TestMayHaveObjectMember(t *testing.T) {
	tests := []struct {
		data string
		want bool
	}{
		{`{"usage":{"a":1}}`, true},
		{`{"usage" :  {"a":1}}`, true},
		{`{"usage":null}`, false},
		{`{"x":"\"usage\":{"}`, false}, // inside a string, quotes are escaped
		{`{"usage":null,"y":{"usage":{}}}`, true},
		{`{"\u0075sage":{}}`, true}, // an escaped name: the exact reader decides
		{`{}`, false},
		{`"usage"`, false},
	}
	for _, tt := range tests {
		if got := mayHaveObjectMember([]byte(tt.data), `"usage"`); got != tt.want {
			t.Errorf("mayHaveObjectMember(%s) = %v, want %v", tt.data, got, tt.want)
		}
	}
}

func TestAnthropicMerge(t *testing.T) {
	i := func(n int64) *int64 { return &n }
	str := func(s string) *string { return &s }
	tests := []struct {
		name   string
		events []anthropicUsage
		want   Usage
	}{
		{"start only", []anthropicUsage{{InputTokens: i(10), OutputTokens: i(1)}},
			Usage{InputTokens: 10, OutputTokens: 1, Found: true}},
		{"delta replaces, not adds", []anthropicUsage{
			{InputTokens: i(10), CacheReadInputTokens: i(100), CacheCreationInputTokens: i(50), OutputTokens: i(1)},
			{InputTokens: i(10), CacheReadInputTokens: i(100), CacheCreationInputTokens: i(50), OutputTokens: i(70)}},
			Usage{InputTokens: 10, CachedTokens: 100, CacheCreationTokens: 50, CacheCreation5mTokens: 50, OutputTokens: 70, Found: true}},
		{"zero in delta keeps earlier", []anthropicUsage{
			{InputTokens: i(10), OutputTokens: i(1)},
			{InputTokens: i(0), OutputTokens: i(5)}},
			Usage{InputTokens: 10, OutputTokens: 5, Found: true}},
		{"negative clamps", []anthropicUsage{{InputTokens: i(-4), OutputTokens: i(2)}},
			Usage{OutputTokens: 2, Found: true}},
		{"searches and tier carry over the delta", []anthropicUsage{
			{InputTokens: i(10), OutputTokens: i(1), ServiceTier: str("batch")},
			{OutputTokens: i(9), ServerToolUse: &anthropicServerToolUse{WebSearchRequests: i(2)}},
			{OutputTokens: i(12), ServiceTier: str(""), ServerToolUse: &anthropicServerToolUse{WebSearchRequests: i(0), WebFetchRequests: i(1)}}},
			Usage{InputTokens: 10, OutputTokens: 12, WebSearches: 2, WebFetches: 1, ServiceTier: "batch", Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s anthropicState
			for k := range tt.events {
				s.merge(&tt.events[k])
			}
			if got := s.usage(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWireUsage(t *testing.T) {
	// prompt_tokens smaller than its cached part (a buggy upstream) must
	// not produce negative input.
	w := openAIChatUsage{PromptTokens: 5, CompletionTokens: 1}
	w.PromptTokensDetails = &chatPromptDetails{CachedTokens: 9}
	if got := w.usage(); got.InputTokens != 0 || got.CachedTokens != 9 {
		t.Errorf("got %+v", got)
	}
	g := geminiUsage{PromptTokenCount: 10, CachedContentTokenCount: 4, CandidatesTokenCount: 3, ThoughtsTokenCount: 7}
	if got, want := g.usage(), (Usage{InputTokens: 6, CachedTokens: 4, OutputTokens: 10, ReasoningTokens: 7, Found: true}); got != want {
		t.Errorf("gemini: got %+v, want %+v", got, want)
	}
}

// TestGeminiModalities: modality parts never exceed the count they are part
// of, whatever an upstream reports.
func TestGeminiModalities(t *testing.T) {
	mc := func(m string, n int64) geminiModalityCount { return geminiModalityCount{Modality: m, TokenCount: n} }
	tests := []struct {
		name string
		w    geminiUsage
		want Usage
	}{
		{"document is image, cached audio split off", geminiUsage{PromptTokenCount: 1000, CachedContentTokenCount: 300,
			PromptTokensDetails: []geminiModalityCount{mc("TEXT", 100), mc("DOCUMENT", 400), mc("AUDIO", 500)},
			CacheTokensDetails:  []geminiModalityCount{mc("AUDIO", 300)}},
			Usage{InputTokens: 700, InputImageTokens: 400, InputAudioTokens: 200, CachedTokens: 300, CachedAudioTokens: 300, Found: true}},
		{"tool-use prompt is input", geminiUsage{PromptTokenCount: 10, ToolUsePromptTokenCount: 5,
			ToolUsePromptTokensDetails: []geminiModalityCount{mc("VIDEO", 5)}},
			Usage{InputTokens: 15, InputVideoTokens: 5, Found: true}},
		{"parts clamped to their count", geminiUsage{PromptTokenCount: 10, CandidatesTokenCount: 4, ThoughtsTokenCount: 100,
			PromptTokensDetails:     []geminiModalityCount{mc("AUDIO", 8), mc("IMAGE", 8), mc("VIDEO", -3)},
			CandidatesTokensDetails: []geminiModalityCount{mc("AUDIO", 3), mc("IMAGE", 3), mc("VIDEO", 3)}},
			Usage{InputTokens: 10, InputAudioTokens: 8, InputImageTokens: 2, OutputTokens: 104, ReasoningTokens: 100,
				OutputAudioTokens: 3, OutputImageTokens: 1, Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.usage(); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestOpenAIBodies: the service tier and web search calls that OpenAI
// reports beside usage (shapes of the chat completion object and of
// response.completed with the web_search tool).
func TestOpenAIBodies(t *testing.T) {
	tests := []struct {
		name string
		body string
		dec  func([]byte) (Usage, bool)
		want Usage
	}{
		{"chat flex", `{"id":"chatcmpl-1","object":"chat.completion","model":"o3-2025-04-16","choices":[],"usage":{"prompt_tokens":2001,"completion_tokens":3001,"total_tokens":5002,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":2800}},"service_tier":"flex","system_fingerprint":null}`,
			chatDec, Usage{InputTokens: 977, CachedTokens: 1024, OutputTokens: 3001, ReasoningTokens: 2800, ServiceTier: "flex", Found: true}},
		{"chat chunk without usage", `{"id":"c","object":"chat.completion.chunk","choices":[],"usage":null,"service_tier":"default"}`,
			chatDec, Usage{}},
		{"responses web search", `{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","object":"response","status":"completed","model":"gpt-5-mini","service_tier":"default","output":[` +
			`{"type":"reasoning","id":"rs_1","summary":[]},` +
			`{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"positive news today"}},` +
			`{"type":"web_search_call","id":"ws_2","status":"completed","action":{"type":"open_page","url":"https://example.com"}},` +
			`{"type":"web_search_call","id":"ws_3","status":"failed"},` +
			`{"type":"file_search_call","id":"fs_1","status":"completed","queries":["refund policy"],"results":null},` +
			`{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"web_search_call","annotations":[]}]}],` +
			`"usage":{"input_tokens":9000,"input_tokens_details":{"cached_tokens":0},"output_tokens":700,"output_tokens_details":{"reasoning_tokens":448},"total_tokens":9700}}}`,
			responsesDec, Usage{InputTokens: 9000, OutputTokens: 700, ReasoningTokens: 448, WebSearches: 2, FileSearches: 1, ServiceTier: "default", Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := tt.dec([]byte(tt.body))
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	for val, want := range map[string]string{`"priority"`: "priority", `null`: "", `5`: "", `"\u0066lex"`: "flex"} {
		if got := stringValue([]byte(val)); got != want {
			t.Errorf("stringValue(%s) = %q, want %q", val, got, want)
		}
	}
}

func chatDec(b []byte) (Usage, bool) {
	var r memberReader
	return r.chatUsage(b)
}

func responsesDec(b []byte) (Usage, bool) {
	var r memberReader
	resp := r.member(b, "response")
	if !isObject(resp) {
		return Usage{}, false
	}
	return r.responsesUsage(resp)
}
