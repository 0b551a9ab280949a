package ledger

import (
	"context"
	"testing"
)

func TestResponseOwners(t *testing.T) {
	l, path := openTest(t, Options{})
	ctx := context.Background()
	// The owner is written with the request row that created it.
	r := record(1)
	r.Principal, r.CreatedResponse = "alice@example.com", "resp_1"
	if err := l.Enqueue(r); err != nil {
		t.Fatal(err)
	}
	// The first owner stays.
	r2 := record(2)
	r2.Principal, r2.CreatedResponse = "bob@example.com", "resp_1"
	if err := l.Commit(ctx, r2); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l2, err := OpenURL(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if got, err := l2.ResponseOwner(ctx, "resp_1"); err != nil || got != "alice@example.com" {
		t.Errorf("owner = %q, %v", got, err)
	}
	if got, err := l2.ResponseOwner(ctx, "resp_unknown"); err != nil || got != "" {
		t.Errorf("unknown owner = %q, %v", got, err)
	}
}
