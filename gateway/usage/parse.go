package usage

// The wire shapes of the usage objects, one per API. Pointers tell a field
// that is present from one that is absent, which matters when Anthropic's
// message_delta repeats some fields of message_start.

type openAIChatUsage struct {
	PromptTokens            int64                  `json:"prompt_tokens"`
	CompletionTokens        int64                  `json:"completion_tokens"`
	PromptTokensDetails     *chatPromptDetails     `json:"prompt_tokens_details"`
	CompletionTokensDetails *chatCompletionDetails `json:"completion_tokens_details"`
}

type chatPromptDetails struct {
	CachedTokens     int64 `json:"cached_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"` // OpenRouter and others
	AudioTokens      int64 `json:"audio_tokens"`
}

type chatCompletionDetails struct {
	ReasoningTokens int64 `json:"reasoning_tokens"`
	AudioTokens     int64 `json:"audio_tokens"`
}

func (w *openAIChatUsage) usage() Usage {
	var u Usage
	var cached, write, audio int64
	if d := w.PromptTokensDetails; d != nil {
		cached, write, audio = nonNeg(d.CachedTokens), nonNeg(d.CacheWriteTokens), nonNeg(d.AudioTokens)
	}
	u.InputTokens = nonNeg(w.PromptTokens - cached - write)
	u.CachedTokens = cached
	u.setCacheCreation(write, 0, 0, false)
	// OpenAI does not say how much of the audio was cached; the audio
	// that the uncached input cannot hold is left to the cached count,
	// priced as cache reads.
	u.InputAudioTokens = min(audio, u.InputTokens)
	u.OutputTokens = nonNeg(w.CompletionTokens)
	if d := w.CompletionTokensDetails; d != nil {
		u.ReasoningTokens = nonNeg(d.ReasoningTokens)
		u.OutputAudioTokens = min(nonNeg(d.AudioTokens), u.OutputTokens)
	}
	u.Found = true
	return u
}

// isWebSearchCall reports whether a Responses output item of this type
// and status is a billed web search call. A call that failed is not
// counted; one cut short (in_progress, searching) was still run.
func isWebSearchCall(typ, status string) bool {
	return typ == "web_search_call" && status != "failed"
}

// isFileSearchCall is isWebSearchCall for the file_search tool.
func isFileSearchCall(typ, status string) bool {
	return typ == "file_search_call" && status != "failed"
}

type responsesUsage struct {
	InputTokens         int64                   `json:"input_tokens"`
	OutputTokens        int64                   `json:"output_tokens"`
	InputTokensDetails  *responsesInputDetails  `json:"input_tokens_details"`
	OutputTokensDetails *responsesOutputDetails `json:"output_tokens_details"`
}

type responsesInputDetails struct {
	CachedTokens int64 `json:"cached_tokens"`
}

type responsesOutputDetails struct {
	ReasoningTokens int64 `json:"reasoning_tokens"`
}

func (w *responsesUsage) usage() Usage {
	var u Usage
	if d := w.InputTokensDetails; d != nil {
		u.CachedTokens = nonNeg(d.CachedTokens)
	}
	u.InputTokens = nonNeg(w.InputTokens - u.CachedTokens)
	u.OutputTokens = nonNeg(w.OutputTokens)
	if d := w.OutputTokensDetails; d != nil {
		u.ReasoningTokens = nonNeg(d.ReasoningTokens)
	}
	u.Found = true
	return u
}

type anthropicUsage struct {
	InputTokens              *int64                  `json:"input_tokens"`
	OutputTokens             *int64                  `json:"output_tokens"`
	CacheReadInputTokens     *int64                  `json:"cache_read_input_tokens"`
	CacheCreationInputTokens *int64                  `json:"cache_creation_input_tokens"`
	CacheCreation            *anthropicCacheCreation `json:"cache_creation"`
	ServerToolUse            *anthropicServerToolUse `json:"server_tool_use"`
	ServiceTier              *string                 `json:"service_tier"`
}

type anthropicCacheCreation struct {
	Ephemeral5m *int64 `json:"ephemeral_5m_input_tokens"`
	Ephemeral1h *int64 `json:"ephemeral_1h_input_tokens"`
}

// anthropicServerToolUse counts the server tools Anthropic ran for the
// request (web search is billed per search).
type anthropicServerToolUse struct {
	WebSearchRequests *int64 `json:"web_search_requests"`
	WebFetchRequests  *int64 `json:"web_fetch_requests"`
}

// anthropicState accumulates Anthropic usage over message_start and
// message_delta. Counts in message_delta are cumulative, so a field present
// there replaces the earlier value rather than adding to it; a reported 0
// never erases an earlier non-zero (some compatible upstreams send zeros
// for fields they do not repeat).
type anthropicState struct {
	input, output, read, create, c5m, c1h int64
	searches, fetches                     int64
	tier                                  string
	split, found                          bool
}

func replace(dst *int64, v *int64) {
	if v == nil {
		return
	}
	if *v > 0 || *dst == 0 {
		*dst = nonNeg(*v)
	}
}

func (s *anthropicState) merge(w *anthropicUsage) {
	s.found = true
	replace(&s.input, w.InputTokens)
	replace(&s.output, w.OutputTokens)
	replace(&s.read, w.CacheReadInputTokens)
	replace(&s.create, w.CacheCreationInputTokens)
	if cc := w.CacheCreation; cc != nil && (cc.Ephemeral5m != nil || cc.Ephemeral1h != nil) {
		s.split = true
		replace(&s.c5m, cc.Ephemeral5m)
		replace(&s.c1h, cc.Ephemeral1h)
	}
	if st := w.ServerToolUse; st != nil {
		replace(&s.searches, st.WebSearchRequests)
		replace(&s.fetches, st.WebFetchRequests)
	}
	if w.ServiceTier != nil && *w.ServiceTier != "" {
		s.tier = *w.ServiceTier
	}
}

func (s *anthropicState) usage() Usage {
	u := Usage{
		InputTokens:  s.input,
		CachedTokens: s.read,
		OutputTokens: s.output,
		WebSearches:  s.searches,
		WebFetches:   s.fetches,
		ServiceTier:  s.tier,
		Found:        s.found,
	}
	u.setCacheCreation(s.create, s.c5m, s.c1h, s.split)
	return u
}

type geminiUsage struct {
	PromptTokenCount           int64                 `json:"promptTokenCount"`
	CachedContentTokenCount    int64                 `json:"cachedContentTokenCount"`
	CandidatesTokenCount       int64                 `json:"candidatesTokenCount"`
	ThoughtsTokenCount         int64                 `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount    int64                 `json:"toolUsePromptTokenCount"`
	PromptTokensDetails        []geminiModalityCount `json:"promptTokensDetails"`
	CacheTokensDetails         []geminiModalityCount `json:"cacheTokensDetails"`
	CandidatesTokensDetails    []geminiModalityCount `json:"candidatesTokensDetails"`
	ToolUsePromptTokensDetails []geminiModalityCount `json:"toolUsePromptTokensDetails"`
}

// geminiModalityCount is a Gemini ModalityTokenCount.
type geminiModalityCount struct {
	Modality   string `json:"modality"`
	TokenCount int64  `json:"tokenCount"`
}

// modalities sums a Gemini modality breakdown into audio, image and video
// counts. DOCUMENT (PDF pages) is billed as images.
func modalities(list ...[]geminiModalityCount) (audio, image, video int64) {
	for _, l := range list {
		for _, m := range l {
			switch n := nonNeg(m.TokenCount); m.Modality {
			case "AUDIO":
				audio += n
			case "IMAGE", "DOCUMENT":
				image += n
			case "VIDEO":
				video += n
			}
		}
	}
	return audio, image, video
}

func (w *geminiUsage) usage() Usage {
	var u Usage
	u.CachedTokens = nonNeg(w.CachedContentTokenCount)
	// Tool-use prompt tokens (the results of a tool Gemini ran, such as
	// code execution or URL context) are billed as input but are not part
	// of promptTokenCount: totalTokenCount is the sum of prompt,
	// candidates, tool-use prompt and thoughts counts.
	u.InputTokens = nonNeg(w.PromptTokenCount-u.CachedTokens) + nonNeg(w.ToolUsePromptTokenCount)
	u.ReasoningTokens = nonNeg(w.ThoughtsTokenCount)
	u.OutputTokens = nonNeg(w.CandidatesTokenCount) + u.ReasoningTokens

	// The prompt breakdown covers cached tokens too; cacheTokensDetails
	// says which of them were cached. Each part is clamped to what its
	// parent can hold so that a modality never outweighs its count.
	pa, pi, pv := modalities(w.PromptTokensDetails, w.ToolUsePromptTokensDetails)
	ca, ci, cv := modalities(w.CacheTokensDetails)
	u.CachedAudioTokens = min(ca, u.CachedTokens)
	left := u.InputTokens
	u.InputAudioTokens = min(nonNeg(pa-ca), left)
	left -= u.InputAudioTokens
	u.InputImageTokens = min(nonNeg(pi-ci), left)
	left -= u.InputImageTokens
	u.InputVideoTokens = min(nonNeg(pv-cv), left)
	oa, oi, ov := modalities(w.CandidatesTokensDetails)
	left = nonNeg(w.CandidatesTokenCount) // thoughts are text
	u.OutputAudioTokens = min(oa, left)
	left -= u.OutputAudioTokens
	u.OutputImageTokens = min(oi, left)
	left -= u.OutputImageTokens
	u.OutputVideoTokens = min(ov, left)
	u.Found = true
	return u
}
