package gateway

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

// When the shutdown grace period ends, http.Server.Close cuts the streams
// still running and returns before their handlers have recorded them.
// Wait must cover those handlers, or the ledger closes under them and the
// (partly billed) requests are lost.
func TestWaitCoversCutStreams(t *testing.T) {
	f := newFixture(t)
	f.fake.SetChunks(50)
	f.fake.SetPacing(100 * time.Millisecond)
	res, err := http.Post(f.url("alice", "/v1/messages"), "application/json",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"a long story"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	// The stream is running; the grace period is over.
	f.fronts["alice"].CloseClientConnections()
	if !f.gw.Wait(10 * time.Second) {
		t.Fatal("Wait gave up on a handler whose connection was closed")
	}
	rec := f.sink.last()
	if rec == nil {
		t.Fatal("Wait returned before the cut stream was recorded")
	}
	if !rec.Interrupted || rec.Model != "claude-sonnet-4-5" {
		t.Errorf("recorded %+v, want the interrupted stream", rec)
	}
}
