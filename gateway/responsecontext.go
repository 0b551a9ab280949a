package gateway

import (
	"context"

	"github.com/tsplug/ts-plug/gateway/apis"
)

// unknownContextTokens is the input assumed for a request that continues a
// stored response or conversation the gateway has no count for (made
// before the ledger kept counts, elsewhere, or cut before its usage came):
// the provider bills that context as input, and the request's own body
// does not show it.
const unknownContextTokens = 100_000

// responseContext is the input a request continuing stored response id
// carries: what the gateway metered when the response was created (from
// memory or the ledger), or unknownContextTokens when that is not known
// (nor knowable: an ID not in canonical form, a ledger that did not
// answer).
func (s *Server) responseContext(ctx context.Context, id string) int64 {
	if !apis.ValidResponseID(id) {
		return unknownContextTokens
	}
	if r, err := s.responses.lookup(ctx, s.opts.Ledger, id); err == nil && r.ContextTokens > 0 {
		return r.ContextTokens
	}
	return unknownContextTokens
}
