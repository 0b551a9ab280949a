package tunnel

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// BrowserGuard keeps web pages the user happens to visit from using the
// tunnel. Anything on this machine can reach a local port, and browsers
// attach no secret a tunnel could check, so a page could spend the user's
// LLM budget: by DNS rebinding (a hostile name that resolves to 127.0.0.1,
// seen here as a foreign Host) or by a cross-site request (an Origin other
// than the tunnel's own, or Sec-Fetch-Site: cross-site). Command-line tools
// and SDKs send neither and pass.
type BrowserGuard struct {
	// AllowedHosts are the host names (without port) the tunnel answers
	// to, besides loopback names and IP literals.
	AllowedHosts []string
	// AllowedOrigins are origins ("http://localhost:3000") that may make
	// cross-site requests.
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
	host := hostOnly(r.Host)
	if !g.hostAllowed(host) {
		return fmt.Errorf("refused: Host %q is not this local tunnel's address (possible DNS rebinding); use http://localhost, or allow the name with -allow-host", r.Host)
	}
	origin := r.Header.Get("Origin")
	if origin != "" && origin != "null" {
		if g.originAllowed(origin) {
			return nil
		}
		if !sameOrigin(origin, r.Host) {
			return fmt.Errorf("refused: cross-site request from %s; a web page may not use this tunnel unless started with -allow-origin %s", origin, origin)
		}
		return nil
	}
	if origin == "null" {
		return fmt.Errorf("refused: request from an opaque (null) origin")
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return fmt.Errorf("refused: cross-site browser request; a web page may not use this tunnel")
	}
	return nil
}

func (g *BrowserGuard) hostAllowed(host string) bool {
	if host == "" {
		return true // HTTP/1.0 clients send no Host
	}
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		// An IP literal cannot be a rebinding name.
		return true
	}
	for _, a := range g.AllowedHosts {
		if strings.EqualFold(a, h) {
			return true
		}
	}
	return false
}

func (g *BrowserGuard) originAllowed(origin string) bool {
	for _, a := range g.AllowedOrigins {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), origin) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether origin names the host:port the request was
// sent to (the tunnel's own pages, such as the gateway dashboard).
func sameOrigin(origin, reqHost string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, reqHost)
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
