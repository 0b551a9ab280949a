package modelinfo

import "testing"

func TestMaxOutputTokens(t *testing.T) {
	tests := []struct {
		model string
		want  int64
		known bool
	}{
		{"gpt-4o", 16_384, true},
		{"gpt-4o-mini-2024-07-18", 16_384, true},
		{"gpt-4.1-nano", 32_768, true},
		{"gpt-4-0613", 8_192, true},
		{"gpt-4-turbo-2024-04-09", 4_096, true},
		{"gpt-5-codex", 128_000, true},
		{"openai/gpt-5", 128_000, true},
		{"o1-mini", 65_536, true},
		{"o3-pro", 100_000, true},
		{"gemini-2.5-flash", 65_536, true},
		{"models/gemini-2.0-flash-001", 8_192, true},
		{"claude-sonnet-4-5-20250929", 64_000, true},
		{"claude-3-haiku-20240307", 4_096, true},
		{"llama3:70b", 0, false},
		{"qwen/qwen3-235b", 0, false},
	}
	for _, tt := range tests {
		got, known := MaxOutputTokens(tt.model)
		if got != tt.want || known != tt.known {
			t.Errorf("MaxOutputTokens(%q) = %d, %v; want %d, %v", tt.model, got, known, tt.want, tt.known)
		}
	}
}
