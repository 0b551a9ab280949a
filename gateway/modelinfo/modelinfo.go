// Package modelinfo knows facts about models that providers do not put in
// their answers: how large a model's context window is, how many output
// tokens it can produce at most, what it reads and writes, and whether it
// reasons before answering. The gateway uses them to bound reservations
// and to fill in its model lists.
package modelinfo

import (
	"slices"
	"strings"
)

// Modalities a model reads or writes, named as models.dev names them
// (which OpenCode's model catalog uses).
const (
	Text  = "text"
	Image = "image"
	Audio = "audio"
	Video = "video"
	PDF   = "pdf"
)

// Info is what the table knows about a model family. Every field is set
// for every family: a model that is not in the table is unknown as a
// whole, never half known.
type Info struct {
	// ContextWindow is the most tokens one request can use, input and
	// output together.
	ContextWindow int64
	// MaxInput is the most input tokens, when it is less than the context
	// window (OpenAI's GPT-5 reserves part of its window for output); 0
	// means the whole window. See InputLimit.
	MaxInput int64
	// MaxOutput is the most output tokens in one answer, reasoning
	// included.
	MaxOutput int64
	// Input and Output are the modalities the model reads and writes.
	Input, Output []string
	// Reasoning reports whether the model can think before answering
	// (OpenAI's reasoning models, Anthropic's extended thinking, Gemini's
	// thinking).
	Reasoning bool
}

// InputLimit returns the most input tokens a request can carry.
func (i Info) InputLimit() int64 {
	if i.MaxInput > 0 {
		return i.MaxInput
	}
	return i.ContextWindow
}

// Modality sets shared by the families below.
var (
	textOnly     = []string{Text}
	textImage    = []string{Text, Image}
	textImagePDF = []string{Text, Image, PDF}
	geminiInput  = []string{Text, Image, Audio, Video, PDF}
)

// families is what each model family is documented to do, by model-name
// prefix; the longest matching prefix wins. A model that is not here is
// unknown, and the gateway omits its details rather than guess. The table
// is kept by hand and small on purpose: a family belongs here only when
// its provider documents every field.
//
// Sources: OpenAI's model pages (platform.openai.com/docs/models), Google's
// Gemini model pages (ai.google.dev/gemini-api/docs/models), Anthropic's
// models overview (docs.anthropic.com/en/docs/about-claude/models).
var families = map[string]Info{
	// OpenAI
	"gpt-5":         {ContextWindow: 400_000, MaxInput: 272_000, MaxOutput: 128_000, Input: textImage, Output: textOnly, Reasoning: true},
	"gpt-4.1":       {ContextWindow: 1_047_576, MaxOutput: 32_768, Input: textImage, Output: textOnly},
	"gpt-4o":        {ContextWindow: 128_000, MaxOutput: 16_384, Input: textImage, Output: textOnly},
	"chatgpt-4o":    {ContextWindow: 128_000, MaxOutput: 16_384, Input: textImage, Output: textOnly},
	"gpt-4-turbo":   {ContextWindow: 128_000, MaxOutput: 4_096, Input: textImage, Output: textOnly},
	"gpt-4":         {ContextWindow: 8_192, MaxOutput: 8_192, Input: textOnly, Output: textOnly},
	"gpt-3.5-turbo": {ContextWindow: 16_385, MaxOutput: 4_096, Input: textOnly, Output: textOnly},
	"o1":            {ContextWindow: 200_000, MaxOutput: 100_000, Input: textImage, Output: textOnly, Reasoning: true},
	"o1-mini":       {ContextWindow: 128_000, MaxOutput: 65_536, Input: textOnly, Output: textOnly, Reasoning: true},
	"o3":            {ContextWindow: 200_000, MaxOutput: 100_000, Input: textImage, Output: textOnly, Reasoning: true},
	"o4-mini":       {ContextWindow: 200_000, MaxOutput: 100_000, Input: textImage, Output: textOnly, Reasoning: true},
	"codex-mini":    {ContextWindow: 200_000, MaxOutput: 100_000, Input: textImage, Output: textOnly, Reasoning: true},
	// Google
	"gemini-3":               {ContextWindow: 1_048_576, MaxOutput: 65_536, Input: geminiInput, Output: textOnly, Reasoning: true},
	"gemini-2.5":             {ContextWindow: 1_048_576, MaxOutput: 65_536, Input: geminiInput, Output: textOnly, Reasoning: true},
	"gemini-2.5-flash-image": {ContextWindow: 32_768, MaxOutput: 32_768, Input: textImage, Output: textImage},
	"gemini-2.0":             {ContextWindow: 1_048_576, MaxOutput: 8_192, Input: geminiInput, Output: textOnly},
	"gemini-1.5":             {ContextWindow: 1_048_576, MaxOutput: 8_192, Input: geminiInput, Output: textOnly},
	"gemini-1.5-pro":         {ContextWindow: 2_097_152, MaxOutput: 8_192, Input: geminiInput, Output: textOnly},
	"gemini-flash":           {ContextWindow: 1_048_576, MaxOutput: 65_536, Input: geminiInput, Output: textOnly, Reasoning: true},
	"gemini-pro":             {ContextWindow: 1_048_576, MaxOutput: 65_536, Input: geminiInput, Output: textOnly, Reasoning: true},
	// Anthropic
	"claude-opus-4-1":   {ContextWindow: 200_000, MaxOutput: 32_000, Input: textImagePDF, Output: textOnly, Reasoning: true},
	"claude-opus-4-0":   {ContextWindow: 200_000, MaxOutput: 32_000, Input: textImagePDF, Output: textOnly, Reasoning: true},
	"claude-opus-4-2":   {ContextWindow: 200_000, MaxOutput: 32_000, Input: textImagePDF, Output: textOnly, Reasoning: true},
	"claude-opus-4-5":   {ContextWindow: 200_000, MaxOutput: 64_000, Input: textImagePDF, Output: textOnly, Reasoning: true},
	"claude-sonnet-4":   {ContextWindow: 200_000, MaxOutput: 64_000, Input: textImagePDF, Output: textOnly, Reasoning: true},
	"claude-haiku-4":    {ContextWindow: 200_000, MaxOutput: 64_000, Input: textImagePDF, Output: textOnly, Reasoning: true},
	"claude-3-7-sonnet": {ContextWindow: 200_000, MaxOutput: 64_000, Input: textImagePDF, Output: textOnly, Reasoning: true},
	"claude-3-5-sonnet": {ContextWindow: 200_000, MaxOutput: 8_192, Input: textImagePDF, Output: textOnly},
	"claude-3-5":        {ContextWindow: 200_000, MaxOutput: 8_192, Input: textOnly, Output: textOnly},
	"claude-3-":         {ContextWindow: 200_000, MaxOutput: 4_096, Input: textImage, Output: textOnly},
}

// Lookup returns what is known about model, and whether anything is. A
// provider-qualified name ("openai/gpt-4o") or a Gemini resource name
// ("models/gemini-2.5-pro") is looked up by its last part. The returned
// slices are the caller's own.
func Lookup(model string) (Info, bool) {
	info, ok := family(model)
	info.Input, info.Output = slices.Clone(info.Input), slices.Clone(info.Output)
	return info, ok
}

// family is Lookup without copying the slices, which stay the table's:
// for callers that read only the numbers, on every request.
func family(model string) (Info, bool) {
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	model = strings.ToLower(model)
	best, info := 0, Info{}
	for prefix, fi := range families {
		if len(prefix) > best && strings.HasPrefix(model, prefix) {
			best, info = len(prefix), fi
		}
	}
	if best == 0 {
		return Info{}, false
	}
	return info, true
}

// MaxOutputTokens returns the most output tokens model can produce, and
// whether the model is known (see Lookup).
func MaxOutputTokens(model string) (int64, bool) {
	info, ok := family(model)
	return info.MaxOutput, ok
}
