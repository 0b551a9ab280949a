package gateway

import "context"

// unknownContextTokens is the input assumed for a request that continues a
// stored response or conversation the gateway has no count for (made
// before the ledger kept counts, elsewhere, or cut before its usage came):
// the provider bills that context as input, and the request's own body
// does not show it.
const unknownContextTokens = 100_000

// responseContext is the input a request continuing stored response id
// carries: what the gateway metered when the response was created (from
// memory or the ledger), or unknownContextTokens.
func (s *Server) responseContext(ctx context.Context, id string) int64 {
	if n := s.responses.lookup(ctx, s.opts.Ledger, id).ContextTokens; n > 0 {
		return n
	}
	return unknownContextTokens
}
