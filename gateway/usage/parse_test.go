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
	w.PromptTokensDetails = &struct {
		CachedTokens     int64 `json:"cached_tokens"`
		CacheWriteTokens int64 `json:"cache_write_tokens"`
	}{CachedTokens: 9}
	if got := w.usage(); got.InputTokens != 0 || got.CachedTokens != 9 {
		t.Errorf("got %+v", got)
	}
	g := geminiUsage{PromptTokenCount: 10, CachedContentTokenCount: 4, CandidatesTokenCount: 3, ThoughtsTokenCount: 7}
	if got, want := g.usage(), (Usage{InputTokens: 6, CachedTokens: 4, OutputTokens: 10, ReasoningTokens: 7, Found: true}); got != want {
		t.Errorf("gemini: got %+v, want %+v", got, want)
	}
}
