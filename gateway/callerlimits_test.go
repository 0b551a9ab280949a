package gateway

import (
	"fmt"
	"net"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// callerLimitsGateway serves one slow Anthropic model to the local caller
// with the given caller_limits.
func callerLimitsGateway(t *testing.T, limits string) (*Server, string) {
	t.Helper()
	fake := fakellm.New(fakellm.WithLatency(300 * time.Millisecond))
	up := httptest.NewServer(fake.Handler())
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

func TestCallerConcurrencyLimit(t *testing.T) {
	_, base := callerLimitsGateway(t, `{"max_concurrent_requests": 2}`)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			res, body := do(t, "POST", base+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}`)
			switch {
			case res.StatusCode == 200:
				ok.Add(1)
			case res.StatusCode == 429 && strings.Contains(body, `"rate_limit_error"`) && strings.Contains(body, "max_concurrent_requests"):
				refused.Add(1)
			default:
				t.Errorf("%d %s", res.StatusCode, body)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 2 || refused.Load() != 4 {
		t.Errorf("served %d, refused %d; want 2 and 4", ok.Load(), refused.Load())
	}
	// Once they end, the caller is served again.
	if res, body := do(t, "POST", base+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}`); res.StatusCode != 200 {
		t.Errorf("after: %d %s", res.StatusCode, body)
	}
}

func TestCallerBufferedBytesLimit(t *testing.T) {
	_, base := callerLimitsGateway(t, `{"max_buffered_bytes": 1048576}`)
	big := `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"` + strings.Repeat("x", 600<<10) + `"}]}`
	var statuses sync.Map
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 100 * time.Millisecond) // the second arrives while the first waits upstream
			res, body := do(t, "POST", base+"/v1/messages", big)
			statuses.Store(i, res.StatusCode)
			if res.StatusCode == 429 && !strings.Contains(body, "max_buffered_bytes") {
				t.Errorf("429 without the reason: %s", body)
			}
		})
	}
	wg.Wait()
	first, _ := statuses.Load(0)
	second, _ := statuses.Load(1)
	if first != 200 || second != 429 {
		t.Errorf("statuses %v, %v; want 200 then 429", first, second)
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
	var conns []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /v1/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", addr, 40<<20)
	}
	// Every handler is reading its body (admitted, and past nothing else
	// that could allocate 40 MiB) once all 20 are in flight.
	for deadline := time.Now().Add(10 * time.Second); gw.inFlight("(loopback)") < 20; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 20 requests reached the gateway", gw.inFlight("(loopback)"))
		}
	}
	time.Sleep(50 * time.Millisecond) // and has made its first read
	runtime.ReadMemStats(&after)
	for _, c := range conns {
		c.Close()
	}
	// 20 × 40 MiB claimed; a few MiB at most really held.
	if grew := int64(after.TotalAlloc) - int64(before.TotalAlloc); grew > 64<<20 {
		t.Errorf("allocated %d MiB for 20 bodies that never came", grew>>20)
	}
}
