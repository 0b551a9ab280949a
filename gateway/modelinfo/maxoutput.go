// Package modelinfo knows facts about models that providers do not put in
// their answers: how many output tokens a model can produce at most.
package modelinfo

import (
	"strings"
)

// maxOutput is the most output tokens each model family can produce in one
// answer, as the providers document it, by model-name prefix; the longest
// matching prefix wins. A model that is not here is unknown.
//
// Sources: OpenAI's model pages (platform.openai.com/docs/models), Google's
// Gemini model pages (ai.google.dev/gemini-api/docs/models), Anthropic's
// models overview (docs.anthropic.com/en/docs/about-claude/models).
var maxOutput = map[string]int64{
	// OpenAI
	"gpt-5":         128_000,
	"gpt-4.1":       32_768,
	"gpt-4o":        16_384,
	"chatgpt-4o":    16_384,
	"gpt-4-turbo":   4_096,
	"gpt-4":         8_192,
	"gpt-3.5-turbo": 4_096,
	"o1":            100_000,
	"o1-mini":       65_536,
	"o3":            100_000,
	"o4-mini":       100_000,
	"codex-mini":    100_000,
	// Google
	"gemini-3":     65_536,
	"gemini-2.5":   65_536,
	"gemini-2.0":   8_192,
	"gemini-1.5":   8_192,
	"gemini-flash": 65_536,
	"gemini-pro":   65_536,
	// Anthropic (requests always set max_tokens; listed for completeness)
	"claude-opus-4-1":   32_000,
	"claude-opus-4-0":   32_000,
	"claude-opus-4-2":   32_000,
	"claude-opus-4-5":   64_000,
	"claude-sonnet-4":   64_000,
	"claude-haiku-4":    64_000,
	"claude-3-7-sonnet": 64_000,
	"claude-3-5":        8_192,
	"claude-3-":         4_096,
}

// MaxOutputTokens returns the most output tokens model can produce, and
// whether the model is known. A provider-qualified name ("openai/gpt-4o")
// is looked up by its last part.
func MaxOutputTokens(model string) (int64, bool) {
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	model = strings.ToLower(model)
	best, n := 0, int64(0)
	for prefix, max := range maxOutput {
		if len(prefix) > best && strings.HasPrefix(model, prefix) {
			best, n = len(prefix), max
		}
	}
	return n, best > 0
}
