package gateway

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// callerLimitsGateway serves one Anthropic model to the local caller with
// the given caller_limits.
func callerLimitsGateway(t *testing.T, limits string) (*Server, string) {
	t.Helper()
	return callerLimitsGatewayTo(t, limits, fakellm.New().Handler())
}

// callerLimitsGatewayTo is callerLimitsGateway with upstream as the
// provider.
func callerLimitsGatewayTo(t *testing.T, limits string, upstream http.Handler) (*Server, string) {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	src := fmt.Sprintf(`{"providers":{"a":{"baseurl":%q,"apikey":"k","models":["claude-sonnet-4-5"],"compatibility":{"anthropic_messages":true}}},
		"caller_limits": %s,
		"grants":[{"src":["*"],"app":{"tailscale.com/cap/aperture":[{"role":"user"},{"models":"**"}]}}]}`, up.URL, limits)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	gw, err := New(cfg, []byte(src), Options{Ledger: &recordingSink{}, Logf: func(string, ...any) {}})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(front.Close)
	return gw, front.URL
}

// inFlight is how many requests of who the gateway holds.
func (s *Server) inFlight(who string) int {
	s.callers.mu.Lock()
	defer s.callers.mu.Unlock()
	if c := s.callers.by[who]; c != nil {
		return c.requests
	}
	return 0
}

// bufferedBytes is how many request-body bytes the gateway holds for who.
func (s *Server) bufferedBytes(who string) int64 {
	s.callers.mu.Lock()
	defer s.callers.mu.Unlock()
	if c := s.callers.by[who]; c != nil {
		return c.bytes
	}
	return 0
}

// heldUpstream is a provider that holds each request until release is
// closed (or its caller leaves), then answers with next; it sends on
// arrived, when not nil, as each request comes in. A test's requests then
// stay in flight for as long as the test needs, however slow the machine.
func heldUpstream(arrived chan<- struct{}, release <-chan struct{}, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived != nil {
			arrived <- struct{}{}
		}
		select {
		case <-release:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// result is one request's answer, for tests that collect them from
// goroutines.
type result struct {
	status int
	body   string
}

func TestCallerConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	_, base := callerLimitsGatewayTo(t, `{"max_concurrent_requests": 2}`, heldUpstream(nil, release, fakellm.New().Handler()))
	results := make(chan result, 6)
	for range 6 {
		go func() {
			res, body := do(t, "POST", base+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}`)
			results <- result{res.StatusCode, body}
		}()
	}
	// Two are held upstream; the other four must be refused meanwhile.
	for i := range 4 {
		select {
		case r := <-results:
			if r.status != 429 || !strings.Contains(r.body, `"rate_limit_error"`) || !strings.Contains(r.body, "max_concurrent_requests") {
				t.Errorf("answer %d while two requests are in flight: %d %s, want 429 max_concurrent_requests", i+1, r.status, r.body)
			}
		case <-time.After(10 * time.Second):
			close(release)
			t.Fatalf("%d of 6 requests answered while two were held upstream; want the four past the limit refused", i)
		}
	}
	close(release)
	for range 2 {
		if r := <-results; r.status != 200 {
			t.Errorf("a request within the limit: %d %s", r.status, r.body)
		}
	}
	// Once they end, the caller is served again.
	if res, body := do(t, "POST", base+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}`); res.StatusCode != 200 {
		t.Errorf("after: %d %s", res.StatusCode, body)
	}
}

func TestCallerBufferedBytesLimit(t *testing.T) {
	arrived, release := make(chan struct{}, 2), make(chan struct{})
	_, base := callerLimitsGatewayTo(t, `{"max_buffered_bytes": 1048576}`, heldUpstream(arrived, release, fakellm.New().Handler()))
	big := `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"` + strings.Repeat("x", 600<<10) + `"}]}`
	first := make(chan result, 1)
	go func() {
		res, body := do(t, "POST", base+"/v1/messages", big)
		first <- result{res.StatusCode, body}
	}()
	select {
	case <-arrived: // the first, its body buffered, waits upstream
	case <-time.After(10 * time.Second):
		t.Fatal("the first request never reached the provider")
	}
	second := make(chan result, 1)
	go func() {
		res, body := do(t, "POST", base+"/v1/messages", big)
		second <- result{res.StatusCode, body}
	}()
	select {
	case r := <-second:
		if r.status != 429 || !strings.Contains(r.body, "max_buffered_bytes") {
			t.Errorf("second 600 KiB body while the first is held: %d %s, want 429 max_buffered_bytes", r.status, r.body)
		}
	case <-arrived:
		t.Error("the second 600 KiB body reached the provider beside the first, past max_buffered_bytes")
	case <-time.After(10 * time.Second):
		t.Error("no answer to the second request")
	}
	close(release)
	if r := <-first; r.status != 200 {
		t.Errorf("first: %d %s", r.status, r.body)
	}
}

// A Content-Length is a claim: connections that announce large bodies
// and send nothing make the gateway allocate no more than a small first
// buffer each.
func TestClaimedContentLengthIsNotAllocated(t *testing.T) {
	gw, base := callerLimitsGateway(t, `{"max_concurrent_requests": 100}`)
	addr := strings.TrimPrefix(base, "http://")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() }) // before the server's Close, which waits for its handlers
		fmt.Fprintf(c, "POST /v1/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", addr, 40<<20)
	}
	// Every handler has made its first buffer (charged to the caller
	// before it is allocated) and is reading into it: all 20 are in
	// flight, all 20 first steps are charged, and at least that much has
	// been allocated since.
	testbin.WaitUntil(t, 10*time.Second, func() error {
		runtime.ReadMemStats(&after)
		n, b := gw.inFlight("(loopback)"), gw.bufferedBytes("(loopback)")
		if n < 20 || b < 20*readStep || after.TotalAlloc-before.TotalAlloc < 20*readStep {
			return fmt.Errorf("%d of 20 requests in flight, %d bytes charged, %d allocated; want 20 first buffers of %d",
				n, b, after.TotalAlloc-before.TotalAlloc, readStep)
		}
		return nil
	})
	// 20 × 40 MiB claimed; a few MiB at most really held.
	if grew := int64(after.TotalAlloc) - int64(before.TotalAlloc); grew > 64<<20 {
		t.Errorf("allocated %d MiB for 20 bodies that never came", grew>>20)
	}
}
