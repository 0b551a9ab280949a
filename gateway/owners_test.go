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

func TestResponseIDScans(t *testing.T) {
	if got := responseID([]byte("event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_abc\",\"object\":\"response\"}}")); got != "resp_abc" {
		t.Errorf("stream id = %q", got)
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
	// A full generation of later responses: the first owner is still
	// known from memory (its row was written long ago, but a lookup
	// must never depend on that).
	for i := range maxRecentOwners + 5 {
		o.remember(fmt.Sprintf("resp_%d", i), "bob@example.com")
	}
	if got := o.lookup(context.Background(), &store, "resp_first"); got != "alice@example.com" || store.n != 0 {
		t.Errorf("lookup = %q after %d ledger reads, want alice from memory", got, store.n)
	}
	// Two generations later it is the ledger's to answer.
	for i := range 2 * maxRecentOwners {
		o.remember(fmt.Sprintf("resp_later_%d", i), "bob@example.com")
	}
	o.lookup(context.Background(), &store, "resp_first")
	if store.n != 1 {
		t.Errorf("an old owner was not looked up in the ledger (%d reads)", store.n)
	}
}
