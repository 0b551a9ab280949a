package gateway

// unknownContextTokens is the input assumed for a request that continues a
// stored response or conversation the gateway has no count for (made
// before it started, or elsewhere): the provider bills that context as
// input, and the request's own body does not show it.
const unknownContextTokens = 100_000

// responseContexts remembers, for each stored OpenAI response the gateway
// saw created, how many tokens a request continuing it carries as input
// (its input plus its output), so the hold of a previous_response_id
// request covers the conversation the provider adds. The last
// recentResponses are kept, as their owners are.
type responseContexts struct {
	recent boundedCache[string, int64] // response ID -> tokens
}

func (o *responseContexts) remember(id string, tokens int64) {
	o.recent.set(id, tokens, recentResponses)
}

// tokens is the context of response id, or unknownContextTokens.
func (o *responseContexts) tokens(id string) int64 {
	if n, ok := o.recent.get(id); ok {
		return n
	}
	return unknownContextTokens
}
