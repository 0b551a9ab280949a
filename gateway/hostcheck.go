package gateway

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/tunnel/webguard"
)

// hostAllowed reports whether a request's Host names this gateway: an IP
// address, localhost, or one of the gateway's own names (its tailnet
// device name and MagicDNS names). Anything else is a name that merely
// resolves here: DNS rebinding, where a web page on a hostile domain that
// resolves to the gateway would otherwise count as the gateway's own
// origin and use the caller's identity, admin role included. The rule is
// webguard's, which ts-unplug applies too.
//
// The names are computed (from the tailnet's state, its certificate
// domains, the Service's names), and a request naming one is the usual
// case, so the last list is kept: a Host found in it is allowed at once,
// one that is not asks for the list anew (a rename, a new domain), as does
// a list older than hostnamesTTL (a name given up).
func (s *Server) hostAllowed(hostport string) bool {
	host, local := webguard.LocalHost(hostport)
	if local {
		return true // localhost or an address: no names needed
	}
	if s.opts.Hostnames == nil {
		return false
	}
	now := s.opts.Now()
	if c := s.hostnames.Load(); c != nil && now.Sub(c.at) < hostnamesTTL {
		if webguard.Named(host, c.names) {
			return true
		}
	}
	fresh := &hostnameList{names: s.opts.Hostnames(), at: now}
	s.hostnames.Store(fresh)
	return webguard.Named(host, fresh.names)
}

// hostnameList is the gateway's names as last computed.
type hostnameList struct {
	names []string
	at    time.Time
}

// hostnamesTTL is how long a computed list of names is trusted.
const hostnamesTTL = time.Minute

// checkHost answers 403 for a request whose Host is not the gateway's.
func (s *Server) checkHost(w http.ResponseWriter, r *http.Request) bool {
	if s.hostAllowed(r.Host) {
		return true
	}
	apis.WriteError(w, apis.APIFromPath(r.URL.Path), http.StatusForbidden, apis.KindPermissionDenied,
		"refused: Host "+r.Host+" is not this gateway's name (possible DNS rebinding); use its tailnet name or IP address")
	return false
}

// isLoopbackAddr reports whether a RemoteAddr is on this machine.
func isLoopbackAddr(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// forwardedLocalHost is X-Forwarded-Host when it names this machine
// (localhost or a loopback IP), as ts-unplug sets it; any other value is
// ignored.
func forwardedLocalHost(r *http.Request) string {
	fh := r.Header.Get("X-Forwarded-Host")
	if fh == "" {
		return ""
	}
	host := fh
	if h, _, err := net.SplitHostPort(fh); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" {
		return fh
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() {
		return fh
	}
	return ""
}
