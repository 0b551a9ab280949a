// Package hooktest has a guardrail server and a webhook receiver for
// tests: real HTTP servers on loopback that speak the hook protocol
// (gateway/hooks) and remember what they were sent.
package hooktest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/hooks"
)

// Call is one payload a hook server received, with its headers.
type Call struct {
	Payload hooks.Payload
	Raw     []byte
	Header  http.Header
}

// Server is a hook endpoint: a guardrail that answers with Decide, or a
// webhook receiver that answers {}.
type Server struct {
	URL string
	// Decide answers a guardrail call; nil allows. Set it before the
	// first call, or with SetDecide once calls may be under way.
	Decide func(p hooks.Payload) (status int, body string)

	mu      sync.Mutex
	calls   []Call
	changed chan struct{} // closed and replaced at each call
	got     chan Call
	srv     *httptest.Server
}

// New starts a hook server; it stops at the end of the test.
func New(t testing.TB, decide func(p hooks.Payload) (int, string)) *Server {
	s := &Server{Decide: decide, got: make(chan Call, 1024), changed: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Allow, Block and Modify are guardrail decisions.
func Allow(hooks.Payload) (int, string) { return 200, `{"action":"allow"}` }

// Block answers a block with status and message.
func Block(status int, message string) func(hooks.Payload) (int, string) {
	b, _ := json.Marshal(map[string]any{"action": "block", "status_code": status, "message": message})
	return func(hooks.Payload) (int, string) { return 200, string(b) }
}

// Modify answers a modify with body as the new request body.
func Modify(body func(p hooks.Payload) string) func(hooks.Payload) (int, string) {
	return func(p hooks.Payload) (int, string) {
		return 200, `{"action":"modify","request_body":` + body(p) + `}`
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	raw, _ := io.ReadAll(rd)
	c := Call{Raw: raw, Header: r.Header.Clone()}
	if err := json.Unmarshal(raw, &c.Payload); err != nil {
		http.Error(w, "payload is not JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	select {
	case s.got <- c:
	default:
	}
	s.mu.Lock()
	decide := s.Decide
	s.mu.Unlock()
	status, body := 200, `{}`
	if decide != nil {
		status, body = decide(c.Payload)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// SetDecide changes how the server answers from the next call on: a
// test switches a running gateway's guardrail between allow, block and
// modify without restarting anything.
func (s *Server) SetDecide(decide func(p hooks.Payload) (int, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Decide = decide
}

// Close stops the server before the test ends, so that the hook is
// unreachable: a test of what a fail policy does then. It waits for the
// calls in progress to be answered.
func (s *Server) Close() { s.srv.Close() }

// Calls returns every call so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Next waits for the next call (webhooks arrive after the answer), up to
// a minute, and fails the test if none comes.
func (s *Server) Next(t testing.TB) Call {
	t.Helper()
	select {
	case c := <-s.got:
		return c
	case <-time.After(time.Minute):
		t.Fatal("no hook call within a minute")
		return Call{}
	}
}

// WaitFor waits, up to a minute, for a call match accepts (received
// before or after it is called) and returns it.
func (s *Server) WaitFor(t testing.TB, match func(Call) bool) Call {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		s.mu.Lock()
		for _, c := range s.calls {
			if match(c) {
				s.mu.Unlock()
				return c
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatal("no matching hook call within a minute")
			return Call{}
		}
	}
}

// ForRequest matches the calls about request id of event ev.
func ForRequest(id string, ev hooks.Event) func(Call) bool {
	return func(c Call) bool { return c.Payload.Metadata.RequestID == id && c.Payload.Event == ev }
}

// Drain discards calls already received but not yet taken by Next.
func (s *Server) Drain() {
	for {
		select {
		case <-s.got:
		default:
			return
		}
	}
}

// Contains reports whether the raw payload holds needle.
func (c Call) Contains(needle string) bool { return bytes.Contains(c.Raw, []byte(needle)) }
