package gateway

import (
	"fmt"
	"net/http"

	"github.com/tsplug/ts-plug/gateway/apis"
)

// admit identifies the caller and lets the call in: a same-site (or
// CORS-granted) request, from a caller with a role, while the ledger can
// record it, within the caller's concurrency limit.
func (x *exchange) admit() bool {
	s, w, r := x.s, x.w, x.r
	c, err := s.identifyClient(r)
	if err != nil {
		return x.failWith(err)
	}
	x.c = c
	x.localUser = localUserOf(r, c.id, c.cfg().SharedDeviceTags)
	cors, ok := checkBrowser(r, c.access)
	if !ok {
		return x.fail(http.StatusForbidden, apis.KindPermissionDenied,
			"access denied: cross-site browser request from "+orDefault(r.Header.Get("Origin"), "another site")+
				" (a grant with set_cors and this origin in Access-Control-Allow-Origin allows it)")
	}
	for k, v := range cors {
		w.Header()[k] = v
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	if c.access.Role() == 0 {
		return x.fail(http.StatusForbidden, apis.KindPermissionDenied, "access denied: no role granted")
	}
	if err := s.opts.Ledger.Healthy(); err != nil {
		// SDKs retry a 503 by themselves; the writer retries every second.
		w.Header().Set("Retry-After", "1")
		return x.failInternal(http.StatusServiceUnavailable, apis.KindUnavailable,
			"the gateway cannot record usage right now, so it is not forwarding requests; "+
				"it retries every second and resumes on its own: try again shortly, and if this persists "+
				"tell the gateway's admin, whose log says why its database cannot be written",
			fmt.Errorf("ledger unhealthy: %w", err))
	}
	// One caller cannot hold every socket or all memory: its requests in
	// flight and their buffered bodies are bounded (caller_limits).
	who, limits := c.id.Principal(), c.cfg().CallerLimits
	if !s.callers.admit(who, limits.MaxConcurrent) {
		w.Header().Set("Retry-After", "1")
		return x.fail(http.StatusTooManyRequests, apis.KindRateLimited,
			fmt.Sprintf("%s already has %d requests in flight through this gateway (caller_limits.max_concurrent_requests); retry when some finish", who, limits.MaxConcurrent))
	}
	x.who = who
	return true
}
