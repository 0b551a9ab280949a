package gateway

import "sync"

// unknownContextTokens is the input assumed for a request that continues a
// stored response or conversation the gateway has no count for (made
// before it started, or elsewhere): the provider bills that context as
// input, and the request's own body does not show it.
const unknownContextTokens = 100_000

// responseContexts remembers, for each stored OpenAI response the gateway
// saw created, how many tokens a request continuing it carries as input
// (its input plus its output), so the hold of a previous_response_id
// request covers the conversation the provider adds. Recent ones are kept
// in two generations, like responseOwners.
type responseContexts struct {
	mu       sync.Mutex
	cur, old map[string]int64
}

func (o *responseContexts) remember(id string, tokens int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cur == nil || len(o.cur) >= maxRecentOwners {
		o.old, o.cur = o.cur, make(map[string]int64)
	}
	o.cur[id] = tokens
}

// tokens is the context of response id, or unknownContextTokens.
func (o *responseContexts) tokens(id string) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n, ok := o.cur[id]; ok {
		return n
	}
	if n, ok := o.old[id]; ok {
		return n
	}
	return unknownContextTokens
}
