package gateway

import (
	"context"
	"sync"
	"time"

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
// the ledger with the creating request's row.
//
// Until that row is durable (Enqueue returned nil: in the ledger's row
// log, where Ledger.StoredResponse finds it before the database has it,
// or committed) the entry is pending, and nothing evicts it (a lookup
// that found no owner would let anyone in); an entry whose row the ledger
// did not promise stays pending for good. Once durable it joins the
// last recentResponses created. Answers read back from the ledger are
// kept apart, in their own smaller cache, so that lookups, which cost a
// caller nothing upstream, can never push out a creation.
type storedResponses struct {
	mu      sync.Mutex
	pending map[string]ledger.StoredResponse            // created, row not yet durable
	recent  createdRing                                 // created and durable (under mu)
	looked  boundedCache[string, ledger.StoredResponse] // read from the ledger
	// missed are IDs the ledger did not know, and when it said so: one
	// request asks for its previous_response_id up to four times (its
	// owner, the guardrail's hold, the route chosen again, the quota's
	// hold), and a client can make up IDs, so one miss answers the rest.
	missed boundedCache[string, time.Time]
}

// createdRing keeps the last recentResponses responses written, oldest
// out first, in arrays made once and a map from ID to slot: adding one
// allocates nothing once the map has grown (an LRU made an entry for
// each, on every Responses request).
type createdRing struct {
	ids  []string
	vals []ledger.StoredResponse
	at   map[string]int
	next int
}

func (r *createdRing) put(id string, v ledger.StoredResponse) {
	if r.at == nil {
		r.ids = make([]string, recentResponses)
		r.vals = make([]ledger.StoredResponse, recentResponses)
		r.at = make(map[string]int, recentResponses)
	}
	if i, ok := r.at[id]; ok {
		r.vals[i] = v
		return
	}
	i := r.next
	r.next = (i + 1) % len(r.ids)
	if old := r.ids[i]; old != "" {
		delete(r.at, old)
	}
	r.ids[i], r.vals[i] = id, v
	r.at[id] = i
}

func (r *createdRing) get(id string) (ledger.StoredResponse, bool) {
	i, ok := r.at[id]
	if !ok {
		return ledger.StoredResponse{}, false
	}
	return r.vals[i], true
}

const (
	// recentResponses is how many of the most recently created
	// responses are kept in memory once their rows are written. Each
	// costs about 150 bytes; older ones cost a primary-key lookup in the
	// ledger when used.
	recentResponses = 4_096
	// lookedResponses is how many answers read from the ledger are kept.
	lookedResponses = 1_024
	// missedResponses and missTTL bound the IDs the ledger did not know
	// that are remembered, and for how long: a response created on
	// another replica since is seen at most missTTL late (one created
	// here is in memory at once).
	missedResponses = 1_024
	missTTL         = time.Second
	// maxPending bounds the entries waiting for their rows (a ledger
	// that cannot write keeps them pending); past it, new ones are
	// recent at once.
	maxPending = 1 << 16
)

// responseStore is where responses not in memory are looked up.
type responseStore interface {
	StoredResponse(ctx context.Context, id string) (ledger.StoredResponse, error)
}

// created notes that principal created response id; it is pending until
// written reports its row durable, and its context is known once the
// answer is metered (setContext).
func (o *storedResponses) created(id, principal string) {
	r := ledger.StoredResponse{Principal: principal}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.pending) < maxPending {
		if o.pending == nil {
			o.pending = make(map[string]ledger.StoredResponse)
		}
		o.pending[id] = r
		return
	}
	o.recent.put(id, r)
}

// setContext notes the input a request continuing response id carries.
func (o *storedResponses) setContext(id string, tokens int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r, ok := o.pending[id]; ok {
		r.ContextTokens = tokens
		o.pending[id] = r
	} else if r, ok := o.recent.get(id); ok {
		r.ContextTokens = tokens
		o.recent.put(id, r)
	}
}

// written notes that the row of response id is durable: its entry may
// now be evicted, the ledger answering for it.
func (o *storedResponses) written(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r, ok := o.pending[id]; ok {
		delete(o.pending, id)
		o.recent.put(id, r)
	}
}

// lookup is what is known of response id: from memory, else from the
// ledger (kept when found). The zero value is a response the gateway
// never saw created; an error, that the ledger could not say.
func (o *storedResponses) lookup(ctx context.Context, store responseStore, id string) (ledger.StoredResponse, error) {
	o.mu.Lock()
	r, ok := o.pending[id]
	if !ok {
		r, ok = o.recent.get(id)
	}
	o.mu.Unlock()
	if ok {
		return r, nil
	}
	if r, ok := o.looked.get(id); ok {
		return r, nil
	}
	if at, ok := o.missed.get(id); ok && time.Since(at) < missTTL {
		return ledger.StoredResponse{}, nil
	}
	r, err := store.StoredResponse(ctx, id)
	if err != nil {
		return ledger.StoredResponse{}, err
	}
	if r.Principal != "" {
		o.looked.set(id, r, lookedResponses)
	} else {
		// Not (yet) written, or another replica's row not yet seen:
		// remembered only for missTTL.
		o.missed.set(id, time.Now(), missedResponses)
	}
	return r, nil
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

// responseOwner is who created response id, "" if unknown, or the
// ledger's error when it could not say. Ownership is
// compared on the ID's one canonical spelling (apis.ValidResponseID): the
// path's ID is decoded once, previous_response_id by the JSON scanner, and
// a provider may read other spellings (a trailing NUL, a space, a case
// folded differently) as the same stored response. An ID in any other form
// is owned by noOwner, so the check fails closed even where the caller
// does not refuse it first.
func (s *Server) responseOwner(ctx context.Context, id string) (string, error) {
	if !apis.ValidResponseID(id) {
		return noOwner, nil
	}
	r, err := s.responses.lookup(ctx, s.opts.Ledger, id)
	return r.Principal, err
}
