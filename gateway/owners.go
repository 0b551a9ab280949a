package gateway

import (
	"context"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// responseOwners remembers who created each stored OpenAI response, so
// that GET, DELETE and cancel by ID (which name no model) reach only the
// creator's responses: every caller shares the gateway's provider key,
// and the provider itself would serve any of them to anyone. The owner is
// written to the ledger with the creating request's row, a few
// milliseconds after the answer; the owners of the last recentResponses
// responses are kept in memory, so an owner stays here long after its row
// is written, and a lookup never has to wait for the ledger.
type responseOwners struct {
	recent boundedCache[string, string] // response ID -> principal
}

// recentResponses is how many of the most recently created (or looked
// up) responses have their owner and context kept in memory.
const recentResponses = 20_000

func (o *responseOwners) remember(id, principal string) {
	o.recent.set(id, principal, recentResponses)
}

// lookup is who created id: from memory, else from the ledger's table.
func (o *responseOwners) lookup(ctx context.Context, store interface {
	ResponseOwner(ctx context.Context, id string) (string, error)
}, id string) string {
	p, ok := o.recent.get(id)
	if ok {
		return p
	}
	p, _ = store.ResponseOwner(ctx, id)
	return p
}

// recordResponseOwner notes that principal created the response whose
// answer starts with body (JSON or the SSE stream; both name the id
// "resp_…" early; usage.CreatedResponseID reads it as the caller's SDK
// does) and returns its ID for the request's ledger row, which stores the
// owner. Until that row is written the owner is known from memory. An ID
// not in canonical form is neither remembered nor recorded: no lookup
// could ask for it.
func (s *Server) recordResponseOwner(body []byte, principal string) string {
	id := usage.CreatedResponseID(body)
	if !apis.ValidResponseID(id) {
		return ""
	}
	s.owners.remember(id, principal)
	return id
}

// noOwner owns every response ID that is not in canonical form: it is
// no principal's name, so such an ID is never "yours".
const noOwner = "(malformed response id)"

// responseOwner is who created response id, or "" if unknown. Ownership is
// compared on the ID's one canonical spelling (apis.ValidResponseID): the
// path's ID is decoded once, previous_response_id by the JSON scanner, and
// a provider may read other spellings (a trailing NUL, a space, a case
// folded differently) as the same stored response. An ID in any other form
// is owned by noOwner, so the check fails closed even where the caller
// does not refuse it first.
func (s *Server) responseOwner(ctx context.Context, id string) string {
	if !apis.ValidResponseID(id) {
		return noOwner
	}
	return s.owners.lookup(ctx, s.opts.Ledger, id)
}
