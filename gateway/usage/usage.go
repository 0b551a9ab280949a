// Package usage extracts token usage from LLM provider responses as they
// stream past the gateway, and normalizes it across the four provider APIs
// the gateway forwards (OpenAI chat completions, OpenAI responses, Anthropic
// messages, Gemini generateContent).
//
// The extractor reads a copy of the response body on the side, in whatever
// chunk boundaries the proxy happens to see, with bounded memory: it never
// holds a whole stream or a whole large body. Normalization is where other
// gateways get metering wrong (Anthropic input_tokens excludes cache tokens
// while OpenAI prompt_tokens includes them; Anthropic streams split usage
// over two events), so the rules live in one place: see Usage.
//
// # JSON readers
//
// What the meter bills must be what the caller's SDK reads, so every
// member that decides a count is found by an exact reader, and each
// reader here is fuzzed against encoding/json:
//
//   - memberReader (members.go, FuzzMemberReader): jsontext, the JSON
//     parser, over each buffered message (an SSE event's data, a Gemini
//     array element): the usage, its tier, the event type, Gemini's
//     finishReason, the usage-only chunk, the created response's id. Only
//     the level asked for is read, names are unescaped, the last of a
//     repeated member wins, invalid JSON yields nothing. mayHaveMember and
//     mayHaveObjectMember are its fast negative pre-checks (most events
//     carry no usage), checked by the same fuzz never to miss a member it
//     finds.
//   - jsonScanner (jsonscan.go, FuzzJSONScanner): a non-streamed answer is
//     never held whole, so its top-level "usage" is captured byte by byte
//     as it passes, with the same name semantics; the captured value goes
//     to the decoders below.
//   - the fast usage-object decoders (fastjson.go, FuzzFastUsage): the
//     usage object itself, without reflection; anything unusual falls back
//     to encoding/json, so the result is always json.Unmarshal's.
//   - measureEvent and contentScanner (estimate.go, contentscan.go,
//     FuzzMeasureContent): they measure the answer's text for an estimate
//     of output tokens, used only when the provider's count never comes.
//     They decide no count the provider reported, so they may be lenient
//     (they measure what arrived of a cut event) and allocation-free.
package usage

// Usage is the token usage of one response, normalized so that every field
// means the same thing whatever the provider API, and so that no token is
// counted in two fields that are both priced.
type Usage struct {
	// InputTokens is the input billed at the base input rate. It excludes
	// cache reads and cache writes: Anthropic input_tokens as is; OpenAI
	// chat prompt_tokens minus cached (and cache-write) tokens; Responses
	// input_tokens minus cached tokens; Gemini promptTokenCount minus
	// cachedContentTokenCount.
	InputTokens int64 `json:"input_tokens,omitempty"`
	// CachedTokens is the input read from the provider's prompt cache.
	CachedTokens int64 `json:"cached_tokens,omitempty"`
	// CacheCreationTokens is the input written to the prompt cache. It is
	// always CacheCreation5mTokens + CacheCreation1hTokens.
	CacheCreationTokens int64 `json:"cache_creation_input_tokens,omitempty"`
	// CacheCreation5mTokens is the part of CacheCreationTokens written with
	// the 5-minute TTL (the default when the provider gives no split).
	CacheCreation5mTokens int64 `json:"cache_creation_5m_input_tokens,omitempty"`
	// CacheCreation1hTokens is the part of CacheCreationTokens written with
	// the 1-hour TTL.
	CacheCreation1hTokens int64 `json:"cache_creation_1h_input_tokens,omitempty"`
	// OutputTokens is all output, reasoning included (Gemini
	// candidatesTokenCount + thoughtsTokenCount; OpenAI completion_tokens
	// already includes reasoning).
	OutputTokens int64 `json:"output_tokens,omitempty"`
	// ReasoningTokens is the reasoning part of OutputTokens, for
	// information only: it is never priced separately.
	ReasoningTokens int64 `json:"reasoning_tokens,omitempty"`

	// The parts of InputTokens, CachedTokens and OutputTokens in a
	// modality other than text, which some models price differently
	// (audio input, image output). Each is included in its parent count
	// and never exceeds it, so an unpriced modality can fall back to its
	// parent's rate: OpenAI prompt_tokens_details / completion_tokens_details
	// audio_tokens; Gemini promptTokensDetails, toolUsePromptTokensDetails,
	// cacheTokensDetails and candidatesTokensDetails by modality
	// (DOCUMENT counts as IMAGE, as Google prices it).
	InputAudioTokens  int64 `json:"input_audio_tokens,omitempty"`
	InputImageTokens  int64 `json:"input_image_tokens,omitempty"`
	InputVideoTokens  int64 `json:"input_video_tokens,omitempty"`
	CachedAudioTokens int64 `json:"cached_audio_tokens,omitempty"`
	OutputAudioTokens int64 `json:"output_audio_tokens,omitempty"`
	OutputImageTokens int64 `json:"output_image_tokens,omitempty"`
	OutputVideoTokens int64 `json:"output_video_tokens,omitempty"`

	// WebSearches is the number of server-side web searches the provider
	// ran and bills per search, beyond the tokens of their results
	// (Anthropic usage.server_tool_use.web_search_requests; the
	// web_search_call items of an OpenAI Responses output).
	WebSearches int64 `json:"web_searches,omitempty"`
	// FileSearches is the number of file (vector store) searches billed
	// per call: the file_search_call items of an OpenAI Responses output.
	FileSearches int64 `json:"file_searches,omitempty"`
	// WebFetches is the number of server-side web fetches (Anthropic
	// server_tool_use.web_fetch_requests). Anthropic charges nothing for
	// them beyond the tokens of the fetched content; they are kept so a
	// row shows that the tool ran.
	WebFetches int64 `json:"web_fetches,omitempty"`
	// ServiceTier is the processing tier that served the request, as the
	// provider reported it ("standard", "batch", "priority" for
	// Anthropic; "default", "flex", "priority", "scale" for OpenAI), or ""
	// when none was reported. Some tiers change every token's price.
	ServiceTier string `json:"service_tier,omitempty"`
	// Found reports whether the response reported usage at all. A zero
	// Usage with Found false means "unknown", not "free".
	Found bool `json:"-"`
	// Interrupted reports that the response ended before its terminal
	// event (or, for JSON, before the document closed): the counts are
	// what was seen and may be partial.
	Interrupted bool `json:"-"`
	// Estimated reports that some counts are not the provider's own: the
	// answer ended before its final usage (client gone, upstream cut,
	// shutdown), so output tokens were estimated from the content that
	// passed (text, tool-call arguments, thinking) and, where the
	// provider never reported them, input tokens from the request.
	Estimated bool `json:"-"`
}

// TotalInput returns all input tokens of the request: base-rate input plus
// cache reads plus cache writes. Long-context price tiers are chosen by it.
func (u Usage) TotalInput() int64 {
	return u.InputTokens + u.CachedTokens + u.CacheCreationTokens
}

// nonNeg clamps a provider-reported count to zero: counts are never
// negative, and a subtraction of inconsistent fields must not produce a
// negative (refunding) token count.
func nonNeg(n int64) int64 {
	if n < 0 {
		return 0
	}
	return n
}

// setCacheCreation fills the cache-write fields from a total and an
// optional 5m/1h split, keeping the invariant total = 5m + 1h. Tokens the
// split does not account for are treated as 5-minute writes, the default TTL.
func (u *Usage) setCacheCreation(total, m5, h1 int64, split bool) {
	total, m5, h1 = nonNeg(total), nonNeg(m5), nonNeg(h1)
	if !split {
		u.CacheCreationTokens = total
		u.CacheCreation5mTokens = total
		u.CacheCreation1hTokens = 0
		return
	}
	if rest := total - m5 - h1; rest > 0 {
		m5 += rest
	}
	u.CacheCreation5mTokens = m5
	u.CacheCreation1hTokens = h1
	u.CacheCreationTokens = m5 + h1
}
