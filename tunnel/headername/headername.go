// Package headername says which HTTP header names only a tunnel may set:
// every spelling of Tailscale's identity headers. It has no dependencies
// beyond the standard library and x/net, so the gateway, which strips
// them from what it forwards too, applies the same rule as ts-plug and
// ts-unplug.
package headername

import (
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Reserved reports whether a header named name must never pass a
// tunnel as the client sent it, because a server could take it for one
// of the identity headers only the tunnel may set.
//
// Go keeps "Tailscale_User_Login" apart from "Tailscale-User-Login", but
// servers that hand headers over CGI-style (CGI, WSGI, Rack, PHP, FastCGI
// behind many proxies) upper-case the name and turn '-' into '_', so both
// become HTTP_TAILSCALE_USER_LOGIN and the client's value may be the one
// the application reads. Some servers fold '.' and other separators too.
// So a name is reserved when, case-folded with every byte that is not an
// ASCII letter or digit dropped, it contains "tailscale": every spelling
// of every Tailscale-* header (Tailscale_User_Login, TAILSCALE.USER.LOGIN,
// Tailscale--Tags) and prefixed ones (X-Tailscale-User-Login, which an
// application written for some other proxy may trust). Names that are not
// valid HTTP tokens are reserved as well: net/http refuses them, and a
// server that accepted them could fold their bytes in ways no list here
// foresees (Unicode case mapping turns 'ſ' into 'S').
func Reserved(name string) bool {
	if !httpguts.ValidHeaderFieldName(name) {
		return true
	}
	return strings.Contains(squashHeaderName(name), "tailscale")
}

// squashHeaderName lower-cases the ASCII letters of name and drops every
// other byte but digits: what is left is the same for all the spellings
// a server may fold together.
func squashHeaderName(name string) string {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b = append(b, c)
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}
