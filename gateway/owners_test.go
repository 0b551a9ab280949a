package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"strings"
	"testing"
)

func TestStoredResponsesArePerUser(t *testing.T) {
	f := newFixture(t)
	// dave (user, all models) creates a response.
	res, body := do(t, "POST", f.url("dave", "/v1/responses"), seedResponses)
	if res.StatusCode != 200 {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var created struct{ ID string }
	json.Unmarshal([]byte(body), &created)
	if !strings.HasPrefix(created.ID, "resp_") {
		t.Fatalf("no response id in %s", body)
	}
	for _, tc := range []struct {
		who, method, path, body string
		want                    int
	}{
		{"ci", "GET", "/v1/responses/" + created.ID, "", 404},    // another user (tag:ci may use openai)
		{"ci", "DELETE", "/v1/responses/" + created.ID, "", 404}, // nor delete it
		{"ci", "POST", "/v1/responses", `{"model":"gpt-4o","input":"go on","previous_response_id":"` + created.ID + `"}`, 404},
		{"dave", "GET", "/v1/responses/" + created.ID, "", 200},  // the creator
		{"alice", "GET", "/v1/responses/" + created.ID, "", 200}, // an admin
	} {
		res, body := do(t, tc.method, f.url(tc.who, tc.path), tc.body)
		if res.StatusCode != tc.want {
			t.Errorf("%s %s %s: %d %s, want %d", tc.who, tc.method, tc.path, res.StatusCode, body, tc.want)
		}
	}
	// The creating row carries the owner and the context a continuation
	// carries; with the gateway's memory gone (a restart, or more recent
	// responses) both come from the ledger: another user still cannot
	// continue it, and the creator's continuation is held for what the
	// conversation is, not for unknownContextTokens.
	var rec *ledger.Record
	for _, r := range f.sink.records() {
		if r.CreatedResponse == created.ID {
			rec = r
		}
	}
	if rec == nil || rec.Principal != "dave@example.com" || rec.ResponseContext <= 0 {
		t.Fatalf("creating row = %+v, want dave's with a context", rec)
	}
	f.gw.responses = storedResponses{}
	if got := f.gw.responseContext(context.Background(), created.ID); got != rec.ResponseContext {
		t.Errorf("context after a restart = %d tokens, want the %d recorded", got, rec.ResponseContext)
	}
	f.gw.responses = storedResponses{}
	res, body = do(t, "POST", f.url("ci", "/v1/responses"), `{"model":"gpt-4o","input":"go on","previous_response_id":"`+created.ID+`"}`)
	if res.StatusCode != 404 {
		t.Errorf("another user's continuation after a restart: %d %s, want 404", res.StatusCode, body)
	}
	if got := f.gw.responseContext(context.Background(), "resp_never"); got != unknownContextTokens {
		t.Errorf("context of an unknown response = %d, want %d", got, unknownContextTokens)
	}
}

// TestOwnerIsTheResponsesNotTheMetadatas: a caller's metadata is echoed
// in the answer, before the response's own id where a provider orders
// members so; an "id" in it must not make the caller the owner of
// another's response.
func TestOwnerIsTheResponsesNotTheMetadatas(t *testing.T) {
	s := &Server{opts: Options{Ledger: &recordingSink{}}}
	answer := "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"metadata\":{\"id\":\"resp_victim\"},\"id\":\"resp_mine\"}}\n\n"
	if id := s.recordResponseOwner([]byte(answer), "mallory@example.com"); id != "resp_mine" {
		t.Errorf("recorded %q, want resp_mine", id)
	}
	if got := s.responseOwner(context.Background(), "resp_victim"); got != "" {
		t.Errorf("owner of resp_victim = %q, want unknown", got)
	}
}

// countingStore counts ledger lookups, which run on the request path,
// and answers them from rows.
type countingStore struct {
	n    int
	rows map[string]ledger.StoredResponse
}

func (c *countingStore) StoredResponse(_ context.Context, id string) (ledger.StoredResponse, error) {
	c.n++
	return c.rows[id], nil
}

func TestRecentResponsesOutliveTheirRows(t *testing.T) {
	var o storedResponses
	store := countingStore{rows: map[string]ledger.StoredResponse{
		"resp_first": {Principal: "alice@example.com", ContextTokens: 700},
	}}
	ctx := context.Background()
	o.created("resp_first", "alice@example.com")
	o.setContext("resp_first", 700)
	// Nearly a full cache of later responses: the first is still known
	// from memory (its row was written long ago, but a lookup must never
	// depend on that).
	for i := range recentResponses - 1 {
		o.created(fmt.Sprintf("resp_%d", i), "bob@example.com")
	}
	want := ledger.StoredResponse{Principal: "alice@example.com", ContextTokens: 700}
	if got := o.lookup(ctx, &store, "resp_first"); got != want || store.n != 0 {
		t.Errorf("lookup = %+v after %d ledger reads, want %+v from memory", got, store.n, want)
	}
	// A full cache later it is the ledger's to answer, once: what it
	// answers is remembered again.
	for i := range recentResponses {
		o.created(fmt.Sprintf("resp_later_%d", i), "bob@example.com")
	}
	for range 2 {
		if got := o.lookup(ctx, &store, "resp_first"); got != want {
			t.Errorf("lookup from the ledger = %+v, want %+v", got, want)
		}
	}
	if store.n != 1 {
		t.Errorf("an old response was looked up in the ledger %d times, want once", store.n)
	}
	// What the ledger does not know is asked again (it may be written
	// since), and is nobody's.
	for range 2 {
		if got := o.lookup(ctx, &store, "resp_unwritten"); got != (ledger.StoredResponse{}) {
			t.Errorf("unknown response = %+v", got)
		}
	}
	if store.n != 3 {
		t.Errorf("%d ledger reads, want 3: an unknown response is not remembered", store.n)
	}
	// A context set for a response no longer in memory changes nothing
	// (its row carries it).
	o.setContext("resp_gone", 5)
	if _, ok := o.recent.get("resp_gone"); ok {
		t.Error("setContext created an entry")
	}
}

func TestOwnerOfAMalformedIDIsNobody(t *testing.T) {
	s := &Server{opts: Options{Ledger: &recordingSink{}}}
	if id := s.recordResponseOwner([]byte(`{"id":"resp_ok-1","object":"response"}`), "dave@example.com"); id != "resp_ok-1" {
		t.Fatalf("recorded %q", id)
	}
	if got := s.responseOwner(context.Background(), "resp_ok-1"); got != "dave@example.com" {
		t.Errorf("owner of resp_ok-1 = %q", got)
	}
	// Other spellings a provider may take for the same stored response
	// are owned by no caller, so "is it yours" fails closed.
	for _, id := range []string{"resp_ok-1\x00", " resp_ok-1", "resp_ok-1 ", "resp_ok-1/", "resp_ok%2D1", "resp_ok-1\n"} {
		if got := s.responseOwner(context.Background(), id); got != noOwner {
			t.Errorf("owner of %q = %q, want %q", id, got, noOwner)
		}
	}
	// A malformed ID in an answer is not remembered.
	s.recordResponseOwner([]byte(`{"id":"resp_x\u0000y"}`), "erin@example.com")
	if got := s.responseOwner(context.Background(), "resp_x"); got != "" {
		t.Errorf("owner of resp_x = %q, want unknown", got)
	}
}
