package gateway

import (
	"net/http"
	"strings"

	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/tunnel/webguard"
)

// checkBrowser keeps web pages on other sites from spending the caller's
// budget: the browser attaches the caller's tailnet identity to any
// request a page makes, so a cross-site request is refused unless a grant
// opts its origin in with set_cors. It returns the CORS headers to add
// when an allowed origin calls, and ok=false when the request must be
// refused.
func checkBrowser(r *http.Request, access *grants.Access) (cors http.Header, ok bool) {
	origin := r.Header.Get("Origin")
	site := r.Header.Get("Sec-Fetch-Site")
	if origin == "" {
		return nil, site != "cross-site"
	}
	if sameHost(origin, r) {
		return nil, true
	}
	allowOrigin, methods, headers, has := access.CORS(r.URL.Path)
	// allowOrigin is one origin, "*", or a comma-separated list; "*"
	// does not admit the opaque "null" (webguard.OriginListed).
	if !has || !webguard.OriginListed(strings.Split(allowOrigin, ","), origin) {
		return nil, false
	}
	h := http.Header{}
	if allowOrigin == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Vary", "Origin")
	}
	if methods == "" {
		methods = "GET, POST, DELETE, OPTIONS"
	}
	if headers == "" {
		headers = "Content-Type, Authorization, X-Api-Key, Anthropic-Version, Anthropic-Beta, X-Goog-Api-Key"
	}
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", headers)
	h.Set("Access-Control-Max-Age", "600")
	return h, true
}

// sameHost reports whether origin is the gateway itself (its dashboard),
// as reached directly or through ts-unplug (X-Forwarded-Host).
func sameHost(origin string, r *http.Request) bool {
	return webguard.SameOrigin(origin, r.Host) || webguard.SameOrigin(origin, forwardedLocalHost(r))
}
