package plug

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
)

// probeInterval is how often a local server that has not answered yet is
// tried again.
const probeInterval = 200 * time.Millisecond

// answers reports whether the local server behind m answers now: any
// HTTP response for http(s), an accepted connection for tcp.
func answers(ctx context.Context, m mapping, client *http.Client) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if m.Kind == kindTCP {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", m.Target.Addr())
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	req, err := http.NewRequestWithContext(ctx, "GET", m.Target.URL().String()+"/", nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "ts-plug readiness probe")
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return true
}

// waitAnswer closes ready once the local server behind m answers, trying
// every probeInterval until ctx ends.
func waitAnswer(ctx context.Context, m mapping, ready chan<- struct{}) {
	client := &http.Client{
		Transport: tunnel.NewTransport((&net.Dialer{}).DialContext, tunnel.Timeouts{Dial: 2 * time.Second}),
		// A redirect is an answer; do not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	for {
		if answers(ctx, m, client) {
			close(ready)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(probeInterval):
		}
	}
}
