package tunnel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"time"
)

// DialFunc opens a connection to addr, as net.Dialer.DialContext does:
// over the tailnet (Node.Dial) for ts-unplug, on this machine for ts-plug.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Timeouts bound the parts of a forwarded request that may hang. None of
// them bounds a whole request: an LLM answer may stream for many minutes.
type Timeouts struct {
	Dial time.Duration // connecting to the target; default 30s
	// ResponseHeader bounds the wait for the target's response headers;
	// 0 means no limit (a non-streamed LLM answer only has headers once
	// the whole answer is ready).
	ResponseHeader time.Duration
	Idle           time.Duration // keep-alive of idle target connections; default 90s
}

// NewTransport returns the http.Transport of a forwarder: connections
// opened by dial (the tailnet for ts-unplug, the local server for
// ts-plug), bounded by to, and bodies passed through as they are.
func NewTransport(dial DialFunc, to Timeouts) *http.Transport {
	if to.Dial == 0 {
		to.Dial = 30 * time.Second
	}
	if to.Idle == 0 {
		to.Idle = 90 * time.Second
	}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, to.Dial)
			defer cancel()
			return dial(ctx, network, addr)
		},
		// TLS (https:// targets) runs over the tailnet connection too.
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: to.ResponseHeader,
		IdleConnTimeout:       to.Idle,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		ExpectContinueTimeout: time.Second,
		// Bodies pass through as they are; never re-encode.
		DisableCompression: true,
	}
}

// HTTPForwarder is a reverse proxy to one tailnet target. Bodies stream
// both ways without buffering, every write is flushed at once (SSE), and
// Upgrade requests (WebSocket) are passed through.
type HTTPForwarder struct {
	Target Target
	// SetHeaders, if set, adds headers of the tunnel's own to each
	// outgoing request, after every inbound Tailscale-* header is gone
	// (see SetLocalUserHeader). Set it before serving.
	SetHeaders func(in *http.Request, out http.Header)
	proxy      *httputil.ReverseProxy
}

// NewHTTPForwarder forwards to target with transport.
func NewHTTPForwarder(target Target, transport http.RoundTripper) *HTTPForwarder {
	f := &HTTPForwarder{Target: target}
	tu := target.URL()
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(tu)
			// The target sees its own name as Host, as a tailnet client
			// would send; the local name goes in X-Forwarded-Host so the
			// gateway can print URLs that work on this machine.
			pr.Out.Host = tu.Host
			pr.SetXForwarded()
			StripTailscaleHeaders(pr.Out.Header)
			StripTailscaleHeaders(pr.Out.Trailer)
			if f.SetHeaders != nil {
				f.SetHeaders(pr.In, pr.Out.Header)
			}
		},
		Transport:     transport,
		FlushInterval: -1,
		BufferPool:    CopyBuffers,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(r.Context().Err(), context.Canceled) {
				return // the client went away; nobody to answer
			}
			WriteJSONError(w, http.StatusBadGateway, "bad_gateway",
				fmt.Sprintf("cannot reach %s over the tailnet: %s", target, describeDialError(err)))
		},
	}
	return f
}

func (f *HTTPForwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.proxy.ServeHTTP(w, r)
}

func describeDialError(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("no tailnet device named %q (check the name, and that MagicDNS is on)", dnsErr.Name)
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out connecting (is the device online, and do tailnet grants let this device reach it?)"
	}
	return err.Error()
}
