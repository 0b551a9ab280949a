package gateway

import (
	"context"
	"encoding/json"
	"fmt"
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

// countingStore counts ledger lookups, which run on the request path.
type countingStore struct{ n int }

func (c *countingStore) ResponseOwner(context.Context, string) (string, error) {
	c.n++
	return "", nil
}

func TestRecentOwnersOutliveTheirRows(t *testing.T) {
	var o responseOwners
	var store countingStore
	o.remember("resp_first", "alice@example.com")
	// Nearly a full cache of later responses: the first owner is still
	// known from memory (its row was written long ago, but a lookup
	// must never depend on that).
	for i := range recentResponses - 1 {
		o.remember(fmt.Sprintf("resp_%d", i), "bob@example.com")
	}
	if got := o.lookup(context.Background(), &store, "resp_first"); got != "alice@example.com" || store.n != 0 {
		t.Errorf("lookup = %q after %d ledger reads, want alice from memory", got, store.n)
	}
	// A full cache later it is the ledger's to answer.
	for i := range recentResponses {
		o.remember(fmt.Sprintf("resp_later_%d", i), "bob@example.com")
	}
	o.lookup(context.Background(), &store, "resp_first")
	if store.n != 1 {
		t.Errorf("an old owner was not looked up in the ledger (%d reads)", store.n)
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
