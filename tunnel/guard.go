package tunnel

import (
	"fmt"
	"net/http"

	"github.com/tsplug/ts-plug/tunnel/webguard"
)

// BrowserGuard keeps web pages the user happens to visit from using the
// tunnel. Anything on this machine can reach a local port, and browsers
// attach no secret a tunnel could check, so a page could spend the user's
// LLM budget: by DNS rebinding (a hostile name that resolves to 127.0.0.1,
// seen here as a foreign Host) or by a cross-site request (an Origin other
// than the tunnel's own, or Sec-Fetch-Site: cross-site). Command-line tools
// and SDKs send neither and pass. The rule is package webguard's, which the
// gateway applies too.
type BrowserGuard struct {
	// AllowedHosts are the host names (without port) the tunnel answers
	// to, besides loopback names and IP literals.
	AllowedHosts []string
	// AllowedOrigins are origins ("http://localhost:3000") that may make
	// cross-site requests. "*" admits every origin but the opaque "null",
	// which only a listed "null" admits (webguard.OriginListed).
	AllowedOrigins []string
	Next           http.Handler
}

func (g *BrowserGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := g.check(r); err != nil {
		WriteJSONError(w, http.StatusForbidden, "forbidden", err.Error())
		return
	}
	g.Next.ServeHTTP(w, r)
}

func (g *BrowserGuard) check(r *http.Request) error {
	if !webguard.HostAllowed(r.Host, g.AllowedHosts) {
		return fmt.Errorf("refused: Host %q is not this local tunnel's address (possible DNS rebinding); use http://localhost, or allow the name with -allow-host", r.Host)
	}
	switch origin := r.Header.Get("Origin"); {
	case origin == "":
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return fmt.Errorf("refused: cross-site browser request; a web page may not use this tunnel")
		}
	case webguard.OriginListed(g.AllowedOrigins, origin), webguard.SameOrigin(origin, r.Host):
	case origin == "null":
		return fmt.Errorf("refused: request from an opaque (null) origin; a web page may not use this tunnel unless started with -allow-origin null")
	default:
		return fmt.Errorf("refused: cross-site request from %s; a web page may not use this tunnel unless started with -allow-origin %s", origin, origin)
	}
	return nil
}
