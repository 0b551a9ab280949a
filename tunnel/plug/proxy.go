package plug

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"

	"github.com/tsplug/ts-plug/tunnel"
	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/ipn"
)

// WhoIsFunc identifies a tailnet caller by its address.
type WhoIsFunc func(ctx context.Context, remoteAddr string) (*apitype.WhoIsResponse, error)

// newUpstreamProxy is a reverse proxy to the local server target. Bodies
// stream both ways, every write is flushed (SSE) and upgrades (WebSocket)
// pass through. The server sees the Host the caller used (its tailnet
// name), as behind `tailscale serve`, and X-Forwarded-For/Host/Proto.
func newUpstreamProxy(target tunnel.Target, transport http.RoundTripper) http.Handler {
	u := target.URL()
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			// Identity is in the headers, set by identify; a client's
			// trailers may not add to it.
			tunnel.StripTailscaleHeaders(pr.Out.Trailer)
		},
		Transport:     transport,
		FlushInterval: -1,
		BufferPool:    tunnel.CopyBuffers,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(r.Context().Err(), context.Canceled) {
				return // the caller went away
			}
			tunnel.WriteJSONError(w, http.StatusBadGateway, "bad_gateway",
				fmt.Sprintf("the plugged server %s is not answering: %v", target, describeLocalError(err)))
		},
	}
}

func describeLocalError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return "nothing accepts connections there (is the server running, on that port?)"
	}
	return err.Error()
}

// identify sets the caller's identity headers on every request, after
// removing any the client sent: the tailnet's WhoIs of the remote
// address, or only the Funnel marker for a request from the internet.
type identify struct {
	whois    WhoIsFunc
	prefixes []string
	next     http.Handler
}

func (h *identify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := tunnel.Caller{Funnel: isFunnel(r.Context())}
	if !c.Funnel && h.whois != nil {
		if who, err := h.whois(r.Context(), r.RemoteAddr); err == nil {
			c.WhoIs = who
		}
	}
	tunnel.SetIdentityHeaders(r.Header, c, h.prefixes)
	dropConnectionTokens(r.Header)
	h.next.ServeHTTP(w, r)
}

// dropConnectionTokens removes from the Connection header every token that
// names a reserved (Tailscale-*) header in any spelling. The reverse proxy
// deletes each header the client names there (hop-by-hop), which would
// let a caller delete the identity headers set above, such as the Funnel
// marker. Other tokens (Upgrade for WebSockets) are kept.
func dropConnectionTokens(h http.Header) {
	vs := h.Values("Connection")
	if len(vs) == 0 {
		return
	}
	var keep []string
	for _, v := range vs {
		for _, tok := range strings.Split(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok != "" && !tunnel.IsReservedHeader(tok) {
				keep = append(keep, tok)
			}
		}
	}
	h.Del("Connection")
	if len(keep) > 0 {
		h.Set("Connection", strings.Join(keep, ", "))
	}
}

type funnelKey struct{}

// markFunnel is an http.Server ConnContext: it remembers whether the
// connection came in through Tailscale Funnel.
func markFunnel(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if _, ok := c.(*ipn.FunnelConn); ok {
		return context.WithValue(ctx, funnelKey{}, true)
	}
	return ctx
}

func isFunnel(ctx context.Context) bool {
	v, _ := ctx.Value(funnelKey{}).(bool)
	return v
}

// redirectToHTTPS sends plain-HTTP callers to https://domain, keeping the
// path and query (308 keeps the method and body).
func redirectToHTTPS(domain string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+domain+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// upstreamGate answers 503 until the local server has answered once, so
// a caller learns that it is still starting rather than a bare 502.
func upstreamGate(ready <-chan struct{}, target tunnel.Target, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ready:
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "2")
			tunnel.WriteJSONError(w, http.StatusServiceUnavailable, "upstream_starting",
				fmt.Sprintf("the plugged server %s has not answered yet (starting?); retry shortly", target))
		}
	})
}
