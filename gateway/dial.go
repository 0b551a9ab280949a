package gateway

import (
	"context"
	"net"
	"net/http"
	"time"
)

// DialTransport is the default provider transport with its connections
// opened by dial (as net.Dialer.DialContext opens them) instead of the OS
// network. aperture passes its node's DialAuto, which reaches tailnet
// names through its own tailnet device, so a provider can be a
// self-hosted model plugged into the tailnet ("baseurl": "http://llm"),
// which the OS cannot resolve. Each dial is bounded by the same 30
// seconds as the default transport's.
//
// dial has tunnel.DialFunc's signature, unnamed: the gateway does not
// import the tunnel package for one type.
func DialTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	t := defaultTransport()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return dial(ctx, network, addr)
	}
	return t
}
