package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/tsplug/ts-plug/gateway/apis"
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
	h, ok := x.s.reserve(x.w, x.c, x.api, x.rt, x.scope, x.body, x.info)
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
	q := r.URL.Query()
	cred, err := credentialFor(rt.Provider, r.Header, q)
	if err != nil {
		status, kind := http.StatusInternalServerError, apis.KindInternal
		if errors.Is(err, errNoClientCredential) {
			status, kind = http.StatusUnauthorized, apis.KindAuthentication
		}
		return nil, x.fail(status, kind, err.Error())
	}
	cred.setQuery(q)
	target, err := routing.JoinURL(rt.Provider.BaseURL, x.path, q.Encode())
	if err != nil {
		return nil, x.fail(http.StatusBadGateway, apis.KindUpstreamUnreachable,
			fmt.Sprintf("provider %s has a bad baseurl: %v", rt.ProviderID, err))
	}
	x.body = apis.Apply(x.body, x.edits...)
	ctx := r.Context()
	up, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(x.body))
	if err != nil {
		return nil, x.fail(http.StatusBadGateway, apis.KindInternal, "building upstream request: "+err.Error())
	}
	up.Header = r.Header.Clone()
	apis.SanitizeRequestHeaders(up.Header)
	if err := cred.setHeaders(up.Header); err != nil {
		return nil, x.fail(http.StatusInternalServerError, apis.KindInternal, fmt.Sprintf("provider %s: %v", rt.ProviderID, err))
	}
	apis.AddHeaders(up.Header, rt.Provider.AddHeaders)
	apis.AddHeaders(up.Header, x.scope.AddHeaders)
	up.ContentLength = int64(len(x.body))

	c := x.c
	x.rec = x.newRecord()
	if s.capturing() {
		x.rec.Capture = newCapture(r.Header, x.body)
	}
	res, err := s.opts.Transport.RoundTrip(up)
	if err != nil {
		rec := x.rec
		if ctx.Err() != nil {
			rec.Status, rec.Interrupted, rec.Error = 499, true, "client went away before the provider answered"
		} else {
			msg := fmt.Sprintf("cannot reach provider %s (%s): %s", rt.ProviderID, rt.Provider.DisplayName(), upstreamError(err, cred.secrets()...))
			x.fail(http.StatusBadGateway, apis.KindUpstreamUnreachable, msg)
			rec.Status, rec.Error = http.StatusBadGateway, msg
		}
		s.finish(c, rec, x.start)
		return nil, false
	}
	x.rec.Status = res.StatusCode
	return res, true
}
