package hooks

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// TestNotifyDelivers: each hook gets the payload for its own send
// fields, built in the worker; a failing webhook is counted, not fatal.
func TestNotifyDelivers(t *testing.T) {
	got := make(chan Payload, 4)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p Payload
		json.NewDecoder(r.Body).Decode(&p)
		got <- p
		io.WriteString(w, `{}`)
	}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer failing.Close()
	r := New(Options{})
	n := &Notification{
		Event: EntireRequest,
		Hooks: []Bound{
			{Hook: &config.Hook{Name: "ok", URL: ok.URL}, Send: []string{SendUserMessage}},
			{Hook: &config.Hook{Name: "failing", URL: failing.URL}},
		},
		Build: func(send []string) ([]byte, error) {
			p := Payload{Event: EntireRequest, Metadata: Metadata{RequestID: "r1"}}
			if Wants(send, SendUserMessage) {
				s := "hello"
				p.UserMessage = &s
			}
			return json.Marshal(p)
		},
	}
	if !r.Notify(n) {
		t.Fatal("Notify refused on an empty queue")
	}
	p := <-got
	if p.Metadata.RequestID != "r1" || p.UserMessage == nil || *p.UserMessage != "hello" {
		t.Errorf("payload %+v", p)
	}
	r.Close(context.Background()) // waits for the delivery to failing
	stats := map[string]HookStats{}
	for _, s := range r.Stats() {
		stats[s.Name] = s
	}
	if stats["ok"].Outcomes[OutcomeDelivered] != 1 || stats["failing"].Outcomes[OutcomeError] != 1 {
		t.Errorf("stats %+v", stats)
	}
}

// TestNotifyQueueBound: with the one worker stuck on a slow webhook, the
// queue takes QueueLength more and drops the rest at once, counted.
func TestNotifyQueueBound(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer slow.Close()
	r := New(Options{QueueLength: 2, Workers: 1})
	n := func() *Notification {
		return &Notification{Event: EntireRequest, Hooks: []Bound{{Hook: &config.Hook{Name: "slow", URL: slow.URL}}},
			Build: func([]string) ([]byte, error) { return []byte(`{}`), nil }}
	}
	if !r.Notify(n()) {
		t.Fatal("first notification refused")
	}
	<-arrived // the worker is now stuck in the first delivery
	accepted := 0
	for range 5 {
		if r.Notify(n()) {
			accepted++
		}
	}
	if accepted != 2 {
		t.Errorf("accepted %d notifications behind a stuck worker, want the queue's 2", accepted)
	}
	close(release)
	r.Close(context.Background())
	st := r.Stats()
	if len(st) != 1 || st[0].Outcomes[OutcomeDropped] != 3 || st[0].Outcomes[OutcomeDelivered] != 3 {
		t.Errorf("stats %+v, want 3 delivered and 3 dropped", st)
	}
}

// TestNotifyQueueBytes: a notification that would take the queue past
// its byte bound is dropped.
func TestNotifyQueueBytes(t *testing.T) {
	r := New(Options{QueueBytes: 100, Workers: 1})
	defer r.Close(context.Background())
	n := &Notification{Event: EntireRequest, Size: 101, Hooks: []Bound{{Hook: &config.Hook{Name: "h", URL: "http://127.0.0.1:1"}}},
		Build: func([]string) ([]byte, error) { return []byte(`{}`), nil }}
	if r.Notify(n) {
		t.Error("a notification larger than the queue's bytes was accepted")
	}
}

// TestGzipNegotiation: a hook that advertises Accept-Encoding: gzip gets
// later payloads compressed (RFC 7694); a 415 turns that off and the
// payload is sent again plainly.
func TestGzipNegotiation(t *testing.T) {
	var mu sync.Mutex
	var encodings []string
	refuse := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		enc := r.Header.Get("Content-Encoding")
		encodings = append(encodings, enc)
		body, _ := io.ReadAll(r.Body)
		if enc == "gzip" {
			if refuse {
				w.WriteHeader(http.StatusUnsupportedMediaType)
				return
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("gzip body: %v", err)
				return
			}
			body, _ = io.ReadAll(zr)
		}
		if !json.Valid(body) {
			t.Errorf("payload is not JSON: %q", body)
		}
		w.Header().Set("Accept-Encoding", "gzip")
		io.WriteString(w, `{"action":"allow"}`)
	}))
	defer srv.Close()
	r := newTestRunner(t)
	h := &config.Hook{Name: "g", URL: srv.URL, Timeout: 5 * time.Second}
	chain := []Bound{{Hook: h}}
	r.Guard(context.Background(), chain, []byte(`{"a":1}`), jsonPayload, nil)
	r.Guard(context.Background(), chain, []byte(`{"a":2}`), jsonPayload, nil)
	mu.Lock()
	refuse = true
	mu.Unlock()
	v := r.Guard(context.Background(), chain, []byte(`{"a":3}`), jsonPayload, nil)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"", "gzip", "gzip", ""}
	if len(encodings) != len(want) {
		t.Fatalf("encodings %q, want %q", encodings, want)
	}
	for i := range want {
		if encodings[i] != want[i] {
			t.Fatalf("encodings %q, want %q", encodings, want)
		}
	}
	if v.Blocked {
		t.Errorf("the plain retry after 415 should have been allowed: %+v", v)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for v, want := range map[string]bool{
		"gzip": true, "GZIP": true, "br, gzip;q=0.5": true, "gzip;q=0": false,
		"gzip; q=0.0": false, "identity": false, "*": true, "": false,
	} {
		if got := acceptsGzip(v); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", v, got, want)
		}
	}
}
