// Package webguard is the rule that keeps web pages from using a server
// on this machine or the tailnet with the identity a browser lends them:
// a Host that is not the server's own name (DNS rebinding) and a
// cross-site Origin. ts-unplug's tunnel.BrowserGuard and the
// gateway apply this one rule; each adds only how it refuses and, for the
// gateway, which origins its grants admit. It needs nothing but the
// standard library, so the gateway can import it without the tunnel.
package webguard

import (
	"net"
	"net/netip"
	"strings"
)

// HostAllowed reports whether hostport, a request's Host, names this
// server: empty (HTTP/1.0 clients send none), localhost or a name under
// .localhost, an IP literal (which cannot be a rebinding name), or one of
// names, the server's own names. Case and a trailing dot do not matter.
// Any other name merely resolves here: a page on a hostile domain that
// resolves to this server would otherwise count as its own origin.
func HostAllowed(hostport string, names []string) bool {
	host, ok := LocalHost(hostport)
	if ok {
		return true
	}
	return Named(host, names)
}

// LocalHost is hostport's host, lowered and without brackets or a
// trailing dot, and whether it is allowed whatever the server's names
// (empty, localhost, an IP literal). With Named, it is HostAllowed in
// two steps, for a caller that looks the names up only when needed (the
// gateway), parsing the Host once.
func LocalHost(hostport string) (string, bool) {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return host, true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return host, true
	}
	return host, false
}

// Named reports whether host, as LocalHost returns it, is one of names.
func Named(host string, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(strings.TrimSuffix(n, "."), host) {
			return true
		}
	}
	return false
}

// OriginListed reports whether allowed, a list of origins
// ("http://localhost:3000", case and a trailing slash ignored) or "*",
// admits origin.
//
// An opaque origin, "null" (a sandboxed frame, a file: or data: page, a
// redirect that hid where it came from), names no site "*" could stand
// for: any page can make its requests opaque. Only a list that names
// "null" itself admits it.
func OriginListed(allowed []string, origin string) bool {
	for _, a := range allowed {
		a = strings.TrimSuffix(strings.TrimSpace(a), "/")
		if a == "*" && origin != "null" || strings.EqualFold(a, origin) {
			return true
		}
	}
	return false
}

// SameOrigin reports whether origin (scheme://host[:port]) names host, the
// host[:port] a request was sent to: the server's own pages, such as the
// gateway's dashboard. "null" names no host.
func SameOrigin(origin, host string) bool {
	_, h, found := strings.Cut(origin, "://")
	return found && host != "" && strings.EqualFold(h, host)
}
