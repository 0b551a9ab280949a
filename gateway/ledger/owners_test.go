package ledger

import (
	"context"
	"testing"
)

func TestResponseOwners(t *testing.T) {
	l, path := openTest(t, Options{})
	ctx := context.Background()
	if err := l.SetResponseOwner(ctx, "resp_1", "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	// The first owner stays.
	l.SetResponseOwner(ctx, "resp_1", "bob@example.com")
	l.Close()
	l2, err := Open(path, Options{})
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
