package gateway

import (
	"context"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// storedResponses remembers, for each stored OpenAI response the gateway
// saw created, who created it and how much input continuing it carries
// (ledger.StoredResponse). The owner keeps GET, DELETE and cancel by ID
// (which name no model) to the creator's responses: every caller shares
// the gateway's provider key, and the provider itself would serve any of
// them to anyone. The context makes the hold of a previous_response_id
// request cover the conversation the provider adds. Both are written to
// the ledger with the creating request's row, a few milliseconds after
// the answer; the last recentResponses created (or looked up) are kept in
// memory, so an owner is known before its row is written and a recent
// one costs no query.
type storedResponses struct {
	recent boundedCache[string, ledger.StoredResponse] // response ID ->
}

// recentResponses is how many of the most recently created (or looked
// up) responses are kept in memory. Each costs about 150 bytes; older
// ones cost a primary-key lookup in the ledger when continued.
const recentResponses = 4_096

// responseStore is where responses not in memory are looked up.
type responseStore interface {
	StoredResponse(ctx context.Context, id string) (ledger.StoredResponse, error)
}

// created notes that principal created response id; its context is
// known once the answer is metered (setContext).
func (o *storedResponses) created(id, principal string) {
	o.recent.set(id, ledger.StoredResponse{Principal: principal}, recentResponses)
}

// setContext notes the input a request continuing response id carries.
func (o *storedResponses) setContext(id string, tokens int64) {
	o.recent.update(id, func(r ledger.StoredResponse) ledger.StoredResponse {
		r.ContextTokens = tokens
		return r
	})
}

// lookup is what is known of response id: from memory, else from the
// ledger (kept in memory when found).
func (o *storedResponses) lookup(ctx context.Context, store responseStore, id string) ledger.StoredResponse {
	if r, ok := o.recent.get(id); ok {
		return r
	}
	r, err := store.StoredResponse(ctx, id)
	if err != nil || r.Principal == "" {
		// Not (yet) written, or another replica's row not yet seen: not
		// remembered, so a later lookup asks again.
		return ledger.StoredResponse{}
	}
	o.recent.set(id, r, recentResponses)
	return r
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
	s.responses.created(id, principal)
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
	return s.responses.lookup(ctx, s.opts.Ledger, id).Principal
}
