package usage

import "testing"

func TestHasObjectField(t *testing.T) {
	tests := []struct {
		data string
		want bool
	}{
		{`{"usage":{"a":1}}`, true},
		{`{"usage" :  {"a":1}}`, true},
		{`{"usage":null}`, false},
		{`{"x":"\"usage\":{"}`, false}, // inside a string, quotes are escaped
		{`{"usage":null,"y":{"usage":{}}}`, true},
		{`{}`, false},
		{`"usage"`, false},
	}
	for _, tt := range tests {
		if got := hasObjectField([]byte(tt.data), `"usage"`); got != tt.want {
			t.Errorf("hasObjectField(%s) = %v, want %v", tt.data, got, tt.want)
		}
	}
}

func TestObjectField(t *testing.T) {
	tests := []struct {
		data, want string
	}{
		{`{"usageMetadata":{"a":1},"m":"x"}`, `{"a":1}`},
		{`{"c":[{"args":{"usageMetadata":{"fake":1}}}],"usageMetadata":{"real":{"n":"}"}}}`, `{"real":{"n":"}"}}`},
		{`{"usageMetadata":{"a":1`, ``},
		{`{"usageMetadata":null}`, ``},
		{`{"usageMetadata":{"s":"a\"}b"},"t":1}`, `{"s":"a\"}b"}`},
	}
	for _, tt := range tests {
		if got := string(objectField([]byte(tt.data), `"usageMetadata"`)); got != tt.want {
			t.Errorf("objectField(%s) = %q, want %q", tt.data, got, tt.want)
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
