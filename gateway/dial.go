package gateway

import (
	"context"
	"net"
	"net/http"
	"time"
)

// DialFunc opens a connection to addr, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialTransport is the default provider transport with its connections
// opened by dial instead of the OS network. The gateway passes a dialer
// that reaches tailnet names through its own tailnet device, so a provider
// can be a self-hosted model plugged into the tailnet ("baseurl":
// "http://llm"), which the OS cannot resolve. Each dial is bounded by the
// same 30 seconds as the default transport's.
func DialTransport(dial DialFunc) *http.Transport {
	t := defaultTransport()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return dial(ctx, network, addr)
	}
	return t
}
