package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/routing"
)

// reserve holds the call's cost in its quota buckets (see Server.reserve);
// calls that generate nothing hold nothing.
func (x *exchange) reserve() bool {
	x.scope = x.c.access.ForModel(x.rt.FQN)
	if !generates(x.route.Op) {
		x.h.bounded = true
		return true
	}
	h, ok := x.s.reserve(x.w, x.r, x.c, x.api, x.rt, x.scope, x.body, x.info)
	if !ok {
		return false
	}
	x.h = h
	x.edits = append(x.edits, h.edits...)
	return true
}

// send makes the upstream request: the body with every edit applied, the
// caller's headers cleaned of credentials and identity, then the
// credential the provider's auth_mode calls for (see credentialFor). It
// starts the call's ledger row; when the provider cannot be reached, it
// answers 502 and records that.
func (x *exchange) send() (*http.Response, bool) {
	s, r, rt := x.s, x.r, x.rt
	var q url.Values // nil, as good as empty, for the usual call without a query
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	cred, err := credentialFor(rt.Provider, r.Header, q)
	if errors.Is(err, errNoClientCredential) {
		// Says what the caller must send; names nothing of the gateway's.
		return nil, x.fail(http.StatusUnauthorized, apis.KindAuthentication, err.Error())
	} else if err != nil {
		return nil, x.failInternal(http.StatusInternalServerError, apis.KindInternal,
			fmt.Sprintf("provider %s's credential is misconfigured; tell the gateway's admin", rt.ProviderID), err)
	}
	cred.setQuery(q)
	x.cred = cred
	target, err := routing.JoinURL(rt.Provider.BaseURL, x.path, q.Encode())
	if err != nil {
		return nil, x.failInternal(http.StatusBadGateway, apis.KindUpstreamUnreachable,
			fmt.Sprintf("provider %s has a base URL the gateway cannot use; tell the gateway's admin", rt.ProviderID),
			fmt.Errorf("provider %s: baseurl: %w", rt.ProviderID, err))
	}
	x.body = apis.Apply(x.body, x.edits...)
	ctx := r.Context()
	up, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(x.body))
	if err != nil {
		return nil, x.failInternal(http.StatusBadGateway, apis.KindInternal, "the gateway could not build the upstream request",
			fmt.Errorf("building upstream request: %w", err))
	}
	up.Header = r.Header.Clone()
	apis.SanitizeRequestHeaders(up.Header)
	if err := cred.setHeaders(up.Header); err != nil {
		return nil, x.failInternal(http.StatusInternalServerError, apis.KindInternal,
			fmt.Sprintf("provider %s's credential cannot be sent; tell the gateway's admin", rt.ProviderID),
			fmt.Errorf("provider %s: %w", rt.ProviderID, err))
	}
	apis.AddHeaders(up.Header, rt.Provider.AddHeaders)
	apis.AddHeaders(up.Header, x.scope.AddHeaders)
	up.ContentLength = int64(len(x.body))

	c := x.c
	x.rec = x.newRecord()
	if s.capturing() {
		// r.Header is encoded, redacted, when finish queues the capture
		// (see capturing): the upstream request carries a clone.
		x.rec.Capture = ledger.NewCapture(r.Header, x.body)
	}
	res, err := s.opts.Transport.RoundTrip(up)
	if err != nil {
		rec := x.rec
		if ctx.Err() != nil {
			rec.Status, rec.Interrupted, rec.Error = 499, true, "client went away before the provider answered"
		} else {
			// The caller (and its ledger row, which it may read) learns
			// why in a few words; the transport's error, which names
			// addresses, goes to the log, cleaned of credentials.
			msg := fmt.Sprintf("cannot reach provider %s (%s): %s", rt.ProviderID, rt.Provider.DisplayName(), unreachable(err))
			x.s.logInternal(r, x.requestID(), fmt.Errorf("cannot reach provider %s: %s", rt.ProviderID, upstreamError(err, cred.secrets()...)))
			x.fail(http.StatusBadGateway, apis.KindUpstreamUnreachable, msg)
			rec.Status, rec.Error = http.StatusBadGateway, msg
		}
		s.finish(c, rec, x.start)
		return nil, false
	}
	x.rec.Status = res.StatusCode
	return res, true
}
