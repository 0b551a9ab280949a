package gateway

import (
	"net/http"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/routing"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// exchange is one provider API call on its way through the gateway: what
// each stage of serveLLM learned, for the stages after it.
type exchange struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	route apis.Route
	api   config.API
	start time.Time

	c         *caller // admit
	who       string  // c's principal, whose caller_limits apply
	localUser string  // admit: who on a shared device sent it (localUserOf)
	charged   int64   // request-body bytes charged to who (read)

	body   []byte        // read; the body sent upstream once edits are applied
	info   apis.BodyInfo // read
	model  string        // as the caller named it; "" for model-less calls
	stream bool

	rt        routing.Route // choose
	edits     []apis.Edit   // prepare, reserve: applied in one copy by send
	path      string        // the path sent upstream
	hideUsage bool          // an include_usage the client did not ask for

	scope grants.Scope   // guard, reserve: what the caller's grants say of the model
	h     hold           // reserve
	rec   *ledger.Record // send: the ledger row, &record
	cred  credential     // send: what went upstream, redacted from logged errors
	tee   teeWriter      // relay: the meter and the answer's copy

	// What rec, relay's meter and its copy of the answer point to, kept
	// here: one allocation per request for all of them.
	record ledger.Record
	meter  usage.Extractor
	answer ledger.CaptureBuffer

	id      string // the request's ID, from the first stage that needs it
	session string // read: the session ID
}

// serveLLM handles one provider API call (route already detected), as a
// sequence of named stages. Each stage either passes the exchange on or
// answers the caller itself, in its API's dialect, and returns false.
func (s *Server) serveLLM(w http.ResponseWriter, r *http.Request, route apis.Route) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	x := &exchange{s: s, w: w, r: r, route: route, api: route.API, start: s.opts.Now()}
	defer x.release()
	if !x.admit() || !x.read() || !x.choose() || !x.guard() || !x.keyed() || !x.prepare() || !x.reserve() {
		return
	}
	res, ok := x.send()
	if !ok {
		return
	}
	defer res.Body.Close()
	x.relay(res)
}

// requestID is the request's ID on the ledger and in hook payloads.
func (x *exchange) requestID() string {
	if x.id == "" {
		x.id = x.s.ids.next(x.start)
	}
	return x.id
}

// sessionID is the session the request belongs to (ledger.SessionID), of
// the body as the caller sent it: read sets it from the body's scan.
func (x *exchange) sessionID() string {
	return x.session
}

// newRecord starts the request's ledger row.
func (x *exchange) newRecord() *ledger.Record {
	c, rt := x.c, x.rt
	x.record = ledger.Record{
		ID: x.requestID(), Time: x.start,
		LoginName: c.id.LoginName, NodeName: c.id.NodeName, StableNodeID: c.id.StableNodeID,
		Tags: c.id.Tags, Principal: c.id.Principal(), LocalUser: x.localUser,
		Provider: rt.ProviderID, Model: rt.Model, API: x.api, Stream: x.stream,
		UserAgent: x.r.UserAgent(), SessionID: x.sessionID(), Path: x.r.URL.Path,
	}
	return &x.record
}

// release gives back what the exchange holds: its caller's slot and
// bytes, and whatever of its hold the answer did not settle.
func (x *exchange) release() {
	x.h.res.Release()
	if x.who != "" {
		x.s.callers.done(x.who, x.charged)
	}
}

// fail answers the caller with kind's error in its API's dialect.
func (x *exchange) fail(status int, kind apis.ErrorKind, msg string) bool {
	apis.WriteError(x.w, x.api, status, kind, msg)
	return false
}
