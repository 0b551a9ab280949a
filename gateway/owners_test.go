package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"net/http"
	"strings"
	"testing"
	"time"
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
	if got, _ := s.responseOwner(context.Background(), "resp_victim"); got != "" {
		t.Errorf("owner of resp_victim = %q, want unknown", got)
	}
}

// countingStore counts ledger lookups, which run on the request path,
// and answers them from rows, or with err.
type countingStore struct {
	n    int
	rows map[string]ledger.StoredResponse
	err  error
}

func (c *countingStore) StoredResponse(_ context.Context, id string) (ledger.StoredResponse, error) {
	c.n++
	return c.rows[id], c.err
}

// mustLookup is lookup for a store that answers.
func mustLookup(t *testing.T, o *storedResponses, store responseStore, id string) ledger.StoredResponse {
	t.Helper()
	r, err := o.lookup(context.Background(), store, id)
	if err != nil {
		t.Fatalf("lookup(%s): %v", id, err)
	}
	return r
}

func TestRecentResponsesOutliveTheirRows(t *testing.T) {
	var o storedResponses
	store := countingStore{rows: map[string]ledger.StoredResponse{
		"resp_first": {Principal: "alice@example.com", ContextTokens: 700},
	}}
	o.created("resp_first", "alice@example.com")
	o.setContext("resp_first", 700)
	o.written("resp_first")
	// Nearly a full cache of later responses: the first is still known
	// from memory (its row was written long ago, but a lookup must never
	// depend on that).
	for i := range recentResponses - 1 {
		id := fmt.Sprintf("resp_%d", i)
		o.created(id, "bob@example.com")
		o.written(id)
	}
	want := ledger.StoredResponse{Principal: "alice@example.com", ContextTokens: 700}
	if got := mustLookup(t, &o, &store, "resp_first"); got != want || store.n != 0 {
		t.Errorf("lookup = %+v after %d ledger reads, want %+v from memory", got, store.n, want)
	}
	// A full cache later it is the ledger's to answer, once: what it
	// answers is remembered again.
	for i := range recentResponses {
		id := fmt.Sprintf("resp_later_%d", i)
		o.created(id, "bob@example.com")
		o.written(id)
	}
	for range 2 {
		if got := mustLookup(t, &o, &store, "resp_first"); got != want {
			t.Errorf("lookup from the ledger = %+v, want %+v", got, want)
		}
	}
	if store.n != 1 {
		t.Errorf("an old response was looked up in the ledger %d times, want once", store.n)
	}
	// What the ledger does not know is nobody's, asked once within
	// missTTL, and asked again after it (it may be written since).
	for range 2 {
		if got := mustLookup(t, &o, &store, "resp_unwritten"); got != (ledger.StoredResponse{}) {
			t.Errorf("unknown response = %+v", got)
		}
	}
	if store.n != 2 {
		t.Errorf("%d ledger reads, want 2: an unknown response is remembered for missTTL", store.n)
	}
	o.missed.set("resp_unwritten", time.Now().Add(-missTTL), missedResponses)
	mustLookup(t, &o, &store, "resp_unwritten")
	if store.n != 3 {
		t.Errorf("%d ledger reads, want 3: an unknown response is asked again after missTTL", store.n)
	}
	// A context set for a response no longer in memory changes nothing
	// (its row carries it).
	o.setContext("resp_gone", 5)
	if _, ok := o.recent.get("resp_gone"); ok {
		t.Error("setContext created an entry")
	}
}

// TestUnwrittenOwnersAreNeverEvicted: until its row is committed, an
// owner is known only to memory (the ledger says "unknown", which lets
// anyone in), so neither later creations nor lookups, which cost a caller
// nothing upstream, may push it out.
func TestUnwrittenOwnersAreNeverEvicted(t *testing.T) {
	var o storedResponses
	store := countingStore{rows: map[string]ledger.StoredResponse{}}
	o.created("resp_victim", "alice@example.com")
	for i := range 2 * recentResponses {
		id := fmt.Sprintf("resp_mallory_%d", i)
		o.created(id, "mallory@example.com")
		o.written(id)
		store.rows["resp_old_"+id] = ledger.StoredResponse{Principal: "mallory@example.com"}
		mustLookup(t, &o, &store, "resp_old_"+id)
	}
	if got := mustLookup(t, &o, &store, "resp_victim"); got.Principal != "alice@example.com" {
		t.Errorf("owner of an unwritten response after %d creations and lookups = %q, want alice", 2*recentResponses, got.Principal)
	}
	// Once written, the ledger answers for it.
	o.written("resp_victim")
	if len(o.pending) != 0 {
		t.Errorf("%d entries still pending", len(o.pending))
	}
}

// TestOwnerUnknowableRefuses: a ledger that cannot say who created a
// response must not make it everybody's; the caller is told to retry.
func TestOwnerUnknowableRefuses(t *testing.T) {
	f := newFixture(t)
	f.gw.opts.Ledger = &storedSink{recordingSink: f.sink, err: errors.New("database is locked")}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/responses/resp_elsewhere", ""},
		{"DELETE", "/v1/responses/resp_elsewhere", ""},
		{"POST", "/v1/responses", `{"model":"gpt-4o","input":"go on","previous_response_id":"resp_elsewhere"}`},
	} {
		res, body := do(t, tc.method, f.url("dave", tc.path), tc.body)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "try again") || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s with the ledger failing: %d %s (Retry-After %q), want 503 saying to try again, with Retry-After",
				tc.method, tc.path, res.StatusCode, body, res.Header.Get("Retry-After"))
		}
	}
	// Its context is then unknown, not zero: the hold stays conservative.
	if got := f.gw.responseContext(context.Background(), "resp_elsewhere"); got != unknownContextTokens {
		t.Errorf("context with the ledger failing = %d, want %d", got, unknownContextTokens)
	}
}

// TestContextOnlyForResponses: a previous_response_id in another API's
// body is the caller's own member (no provider reads it), so it is
// neither looked up nor held for; nor is an ID not in canonical form.
func TestContextOnlyForResponses(t *testing.T) {
	sink := &storedSink{recordingSink: &recordingSink{}}
	s := &Server{opts: Options{Ledger: sink}}
	for _, api := range []config.API{config.OpenAIChat, config.AnthropicMessages, config.GeminiGenerateContent} {
		if n := s.contextTokens(context.Background(), api, apis.BodyInfo{PreviousResponseID: "resp_x"}); n != 0 {
			t.Errorf("%s with previous_response_id: context %d, want 0", api, n)
		}
	}
	if n := s.contextTokens(context.Background(), config.OpenAIResponses, apis.BodyInfo{PreviousResponseID: "resp_x"}); n != unknownContextTokens {
		t.Errorf("responses continuing an unknown response: context %d, want %d", n, unknownContextTokens)
	}
	if n := s.responseContext(context.Background(), strings.Repeat("x", 1<<20)); n != unknownContextTokens {
		t.Errorf("a malformed ID: context %d, want %d", n, unknownContextTokens)
	}
	if sink.calls != 1 {
		t.Errorf("%d ledger lookups, want 1 (the Responses request's)", sink.calls)
	}
}

// storedSink is a recordingSink whose StoredResponse counts its calls and
// fails with err when set.
type storedSink struct {
	*recordingSink
	calls int
	err   error
}

func (s *storedSink) StoredResponse(ctx context.Context, id string) (ledger.StoredResponse, error) {
	s.calls++
	if s.err != nil {
		return ledger.StoredResponse{}, s.err
	}
	return s.recordingSink.StoredResponse(ctx, id)
}

func TestOwnerOfAMalformedIDIsNobody(t *testing.T) {
	s := &Server{opts: Options{Ledger: &recordingSink{}}}
	if id := s.recordResponseOwner([]byte(`{"id":"resp_ok-1","object":"response"}`), "dave@example.com"); id != "resp_ok-1" {
		t.Fatalf("recorded %q", id)
	}
	if got, _ := s.responseOwner(context.Background(), "resp_ok-1"); got != "dave@example.com" {
		t.Errorf("owner of resp_ok-1 = %q", got)
	}
	// Other spellings a provider may take for the same stored response
	// are owned by no caller, so "is it yours" fails closed.
	for _, id := range []string{"resp_ok-1\x00", " resp_ok-1", "resp_ok-1 ", "resp_ok-1/", "resp_ok%2D1", "resp_ok-1\n"} {
		if got, _ := s.responseOwner(context.Background(), id); got != noOwner {
			t.Errorf("owner of %q = %q, want %q", id, got, noOwner)
		}
	}
	// A malformed ID in an answer is not remembered.
	s.recordResponseOwner([]byte(`{"id":"resp_x\u0000y"}`), "erin@example.com")
	if got, _ := s.responseOwner(context.Background(), "resp_x"); got != "" {
		t.Errorf("owner of resp_x = %q, want unknown", got)
	}
}

// TestRecentResponsesAllocateNothing: once full, recording a written
// response costs no allocation (an LRU made an entry for each).
func TestRecentResponsesAllocateNothing(t *testing.T) {
	var o storedResponses
	ids := make([]string, 2*recentResponses)
	for i := range ids {
		ids[i] = fmt.Sprintf("resp_%d", i)
	}
	for _, id := range ids {
		o.created(id, "alice@example.com")
		o.written(id)
	}
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		id := ids[i%len(ids)]
		i++
		o.created(id, "alice@example.com")
		o.setContext(id, 100)
		o.written(id)
	})
	if n != 0 {
		t.Errorf("%v allocations per response, want 0", n)
	}
	if len(o.recent.at) != recentResponses || len(o.pending) != 0 {
		t.Errorf("%d recent, %d pending; want %d and 0", len(o.recent.at), len(o.pending), recentResponses)
	}
	// The oldest went first: the 1,001 re-recorded (warm-up and runs)
	// pushed out the 1,001 oldest of the second half.
	if _, ok := o.recent.get(ids[recentResponses]); ok {
		t.Error("the oldest response is still kept")
	}
	if _, ok := o.recent.get(ids[recentResponses+1001]); !ok {
		t.Error("a response among the last recentResponses was dropped")
	}
}

// An ID the ledger does not know is asked for once, not by each of the
// stages of the request naming it, nor by a client repeating it; one
// created here meanwhile is known at once.
func TestUnknownResponseAskedOnce(t *testing.T) {
	var o storedResponses
	store := countingStore{}
	for range 4 {
		if r := mustLookup(t, &o, &store, "resp_madeup"); r.Principal != "" {
			t.Fatalf("lookup of an unknown ID = %+v", r)
		}
	}
	if store.n != 1 {
		t.Errorf("%d ledger reads for one unknown ID asked 4 times, want 1", store.n)
	}
	o.created("resp_madeup", "alice@example.com")
	if r := mustLookup(t, &o, &store, "resp_madeup"); r.Principal != "alice@example.com" {
		t.Errorf("lookup after it was created here = %+v, want alice's", r)
	}
	// A ledger error is not remembered: the next lookup asks again.
	failing := countingStore{err: errors.New("ledger down")}
	for range 2 {
		o.lookup(context.Background(), &failing, "resp_other")
	}
	if failing.n != 2 {
		t.Errorf("%d ledger reads after errors, want 2", failing.n)
	}
}
