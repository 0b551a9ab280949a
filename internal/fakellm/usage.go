package fakellm

// Usage is the token accounting the fake reports, in one provider-neutral
// shape that each API's answer maps onto its own fields. The categories do
// not overlap on the input side, the way Anthropic reports them:
//
//   - InputTokens: prompt tokens neither read from nor written to a cache.
//   - CachedTokens: prompt tokens read from the cache.
//   - CacheCreationTokens: prompt tokens written to the cache, all TTLs.
//   - CacheCreation1hTokens: the part of CacheCreationTokens written with a
//     one-hour TTL; the rest (CacheCreationTokens-CacheCreation1hTokens) is
//     the five-minute TTL.
//   - OutputTokens: all generated tokens, reasoning included (what every
//     provider bills as output).
//   - ReasoningTokens: the part of OutputTokens spent thinking.
//
// How each API reports it:
//
//   - OpenAI chat: prompt_tokens = Input+Cached+CacheCreation,
//     prompt_tokens_details.cached_tokens = Cached (and cache_write_tokens
//     = CacheCreation when non-zero), completion_tokens = Output,
//     completion_tokens_details.reasoning_tokens = Reasoning, total_tokens =
//     prompt_tokens+completion_tokens.
//   - OpenAI responses: the same with input_tokens, input_tokens_details,
//     output_tokens, output_tokens_details.
//   - Anthropic: input_tokens = Input, cache_read_input_tokens = Cached,
//     cache_creation_input_tokens = CacheCreation, cache_creation
//     {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}, output_tokens
//     = Output (output_tokens_details.thinking_tokens = Reasoning when
//     non-zero).
//   - Gemini: promptTokenCount = Input+Cached+CacheCreation,
//     cachedContentTokenCount = Cached, candidatesTokenCount =
//     Output-Reasoning, thoughtsTokenCount = Reasoning, totalTokenCount =
//     promptTokenCount+Output. Zero cached and thoughts counts are omitted,
//     as Gemini does.
type Usage struct {
	InputTokens           int64
	OutputTokens          int64
	CachedTokens          int64
	CacheCreationTokens   int64
	CacheCreation1hTokens int64
	ReasoningTokens       int64
}

// DefaultUsage is what a new Server reports until told otherwise.
var DefaultUsage = Usage{InputTokens: 12, OutputTokens: 8}

// prompt is the whole prompt size: every input token, cached or not.
func (u Usage) prompt() int64 { return u.InputTokens + u.CachedTokens + u.CacheCreationTokens }

// cache5m is the five-minute part of the cache writes.
func (u Usage) cache5m() int64 { return max(0, u.CacheCreationTokens-u.CacheCreation1hTokens) }

// openAIChatUsage is the chat completions usage object.
func (u Usage) openAIChatUsage() obj {
	prompt := obj{{"cached_tokens", u.CachedTokens}, {"audio_tokens", 0}}
	if u.CacheCreationTokens != 0 {
		prompt = append(prompt, kv{"cache_write_tokens", u.CacheCreationTokens})
	}
	return obj{
		{"prompt_tokens", u.prompt()},
		{"completion_tokens", u.OutputTokens},
		{"total_tokens", u.prompt() + u.OutputTokens},
		{"prompt_tokens_details", prompt},
		{"completion_tokens_details", obj{
			{"reasoning_tokens", u.ReasoningTokens},
			{"audio_tokens", 0},
			{"accepted_prediction_tokens", 0},
			{"rejected_prediction_tokens", 0},
		}},
	}
}

// openAIResponsesUsage is the responses API usage object.
func (u Usage) openAIResponsesUsage() obj {
	input := obj{{"cached_tokens", u.CachedTokens}}
	if u.CacheCreationTokens != 0 {
		input = append(input, kv{"cache_write_tokens", u.CacheCreationTokens})
	}
	return obj{
		{"input_tokens", u.prompt()},
		{"input_tokens_details", input},
		{"output_tokens", u.OutputTokens},
		{"output_tokens_details", obj{{"reasoning_tokens", u.ReasoningTokens}}},
		{"total_tokens", u.prompt() + u.OutputTokens},
	}
}

// anthropicUsage is the Messages usage object. outputTokens is passed in
// because message_start reports a placeholder output count.
func (u Usage) anthropicUsage(outputTokens int64) obj {
	o := obj{
		{"input_tokens", u.InputTokens},
		{"cache_creation_input_tokens", u.CacheCreationTokens},
		{"cache_read_input_tokens", u.CachedTokens},
		{"cache_creation", obj{
			{"ephemeral_5m_input_tokens", u.cache5m()},
			{"ephemeral_1h_input_tokens", u.CacheCreation1hTokens},
		}},
		{"output_tokens", outputTokens},
	}
	if u.ReasoningTokens != 0 && outputTokens == u.OutputTokens {
		o = append(o, kv{"output_tokens_details", obj{{"thinking_tokens", u.ReasoningTokens}}})
	}
	return append(o, kv{"service_tier", "standard"})
}

// anthropicDeltaUsage is the cumulative usage of message_delta: output
// tokens plus, as the real API now sends, the input and cache counts.
func (u Usage) anthropicDeltaUsage() obj {
	o := obj{
		{"input_tokens", u.InputTokens},
		{"cache_creation_input_tokens", u.CacheCreationTokens},
		{"cache_read_input_tokens", u.CachedTokens},
		{"output_tokens", u.OutputTokens},
	}
	if u.ReasoningTokens != 0 {
		o = append(o, kv{"output_tokens_details", obj{{"thinking_tokens", u.ReasoningTokens}}})
	}
	return o
}

// geminiUsage is the usageMetadata object. final=false gives the partial
// metadata of an intermediate stream chunk: prompt counts only.
func (u Usage) geminiUsage(final bool) obj {
	o := obj{{"promptTokenCount", u.prompt()}}
	if final {
		o = append(o, kv{"candidatesTokenCount", u.OutputTokens - u.ReasoningTokens})
		o = append(o, kv{"totalTokenCount", u.prompt() + u.OutputTokens})
	} else {
		o = append(o, kv{"totalTokenCount", u.prompt()})
	}
	if u.CachedTokens != 0 {
		o = append(o, kv{"cachedContentTokenCount", u.CachedTokens})
	}
	if final && u.ReasoningTokens != 0 {
		o = append(o, kv{"thoughtsTokenCount", u.ReasoningTokens})
	}
	return append(o, kv{"promptTokensDetails", []any{obj{{"modality", "TEXT"}, {"tokenCount", u.prompt()}}}})
}
