package modelinfo

import (
	"slices"
	"testing"
)

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
	// Every request asks; only Lookup's callers need the slices copied.
	if n := testing.AllocsPerRun(100, func() { MaxOutputTokens("gpt-4o") }); n != 0 {
		t.Errorf("MaxOutputTokens allocated %v times, want 0", n)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		model      string
		known      bool
		context    int64
		inputLimit int64
		input      []string
		reasoning  bool
	}{
		{"gpt-5-mini", true, 400_000, 272_000, []string{Text, Image}, true},
		{"gpt-4o", true, 128_000, 128_000, []string{Text, Image}, false},
		{"GPT-4.1", true, 1_047_576, 1_047_576, []string{Text, Image}, false},
		{"models/gemini-2.5-pro", true, 1_048_576, 1_048_576, []string{Text, Image, Audio, Video, PDF}, true},
		{"gemini-1.5-pro-002", true, 2_097_152, 2_097_152, []string{Text, Image, Audio, Video, PDF}, false},
		{"anthropic/claude-sonnet-4-5", true, 200_000, 200_000, []string{Text, Image, PDF}, true},
		{"claude-3-5-haiku-20241022", true, 200_000, 200_000, []string{Text}, false},
		{"llama3:70b", false, 0, 0, nil, false},
		{"", false, 0, 0, nil, false},
	}
	for _, tt := range tests {
		info, known := Lookup(tt.model)
		if known != tt.known || info.ContextWindow != tt.context || info.InputLimit() != tt.inputLimit ||
			!slices.Equal(info.Input, tt.input) || info.Reasoning != tt.reasoning {
			t.Errorf("Lookup(%q) = %+v, %v; want context %d, input limit %d, input %v, reasoning %v",
				tt.model, info, known, tt.context, tt.inputLimit, tt.input, tt.reasoning)
		}
	}
}

// Every family is fully known: a model is either unknown or known in
// every field the model lists report.
func TestFamiliesComplete(t *testing.T) {
	for prefix, info := range families {
		if info.ContextWindow <= 0 || info.MaxOutput <= 0 || len(info.Input) == 0 || len(info.Output) == 0 {
			t.Errorf("%q is incomplete: %+v", prefix, info)
		}
		if info.MaxInput < 0 || info.MaxInput > info.ContextWindow || info.MaxOutput > info.ContextWindow {
			t.Errorf("%q has inconsistent limits: %+v", prefix, info)
		}
	}
}

// Lookup hands out copies: a caller editing its slices changes nothing.
func TestLookupCopies(t *testing.T) {
	a, _ := Lookup("gpt-4o")
	a.Input[0] = "smell"
	if b, _ := Lookup("gpt-4o"); b.Input[0] != Text {
		t.Errorf("Lookup shares its table: %v", b.Input)
	}
}
