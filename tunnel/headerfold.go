package tunnel

import (
	"net/http"
	"strings"
)

// IsReservedHeader reports whether a header named name must never pass a
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
func IsReservedHeader(name string) bool {
	if !isToken(name) {
		return true
	}
	return strings.Contains(squashHeaderName(name), "tailscale")
}

// isToken reports whether name is an RFC 9110 token, the only valid
// header field name.
func isToken(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
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

// StripTailscaleHeaders removes every header IsReservedHeader names, in
// every spelling. Identity headers are set only by the trusted side of a
// tunnel; a client that sends its own must never have them believed.
func StripTailscaleHeaders(h http.Header) {
	for k := range h {
		if IsReservedHeader(k) {
			delete(h, k)
		}
	}
}
