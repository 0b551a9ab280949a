package gateway

import (
	"net/http"
	"strings"

	"github.com/tsplug/ts-plug/gateway/grants"
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
	if !has || !originMatches(allowOrigin, origin) {
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

// originMatches reports whether a grant's Access-Control-Allow-Origin
// value (one origin, "*", or a comma-separated list) admits origin.
//
// An opaque origin, "null" (a sandboxed frame, a file: or data: page, a
// redirect that hid where it came from), is cross-site and names no site
// "*" could stand for: any page can make its requests opaque. Only a grant
// that lists "null" itself admits it.
func originMatches(allowed, origin string) bool {
	for _, a := range strings.Split(allowed, ",") {
		a = strings.TrimSuffix(strings.TrimSpace(a), "/")
		if a == "*" && origin != "null" || strings.EqualFold(a, origin) {
			return true
		}
	}
	return false
}

// sameHost reports whether origin is the gateway itself (its dashboard),
// as reached directly or through ts-unplug (X-Forwarded-Host).
func sameHost(origin string, r *http.Request) bool {
	_, host, found := strings.Cut(origin, "://")
	if !found {
		return false
	}
	if strings.EqualFold(host, r.Host) {
		return true
	}
	if fh := forwardedLocalHost(r); fh != "" && strings.EqualFold(host, fh) {
		return true
	}
	return false
}
