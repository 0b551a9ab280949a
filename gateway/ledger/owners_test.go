package ledger

import (
	"context"
	"testing"
)

func TestStoredResponses(t *testing.T) {
	l, path := openTest(t, Options{})
	ctx := context.Background()
	// The owner and the context are written with the request row that
	// created the response.
	r := record(1)
	r.Principal, r.CreatedResponse, r.ResponseContext = "alice@example.com", "resp_1", 1234
	if err := l.Enqueue(r); err != nil {
		t.Fatal(err)
	}
	// The first owner stays.
	r2 := record(2)
	r2.Principal, r2.CreatedResponse, r2.ResponseContext = "bob@example.com", "resp_1", 99
	if err := l.Commit(ctx, r2); err != nil {
		t.Fatal(err)
	}
	// A context never known is stored as unknown, not as zero tokens.
	r3 := record(3)
	r3.Principal, r3.CreatedResponse = "carol@example.com", "resp_3"
	if err := l.Commit(ctx, r3); err != nil {
		t.Fatal(err)
	}
	l.Close()
	// They outlive the process.
	l2, err := OpenURL(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	for _, tt := range []struct {
		id   string
		want StoredResponse
	}{
		{"resp_1", StoredResponse{Principal: "alice@example.com", ContextTokens: 1234}},
		{"resp_3", StoredResponse{Principal: "carol@example.com"}},
		{"resp_unknown", StoredResponse{}},
	} {
		if got, err := l2.StoredResponse(ctx, tt.id); err != nil || got != tt.want {
			t.Errorf("StoredResponse(%s) = %+v, %v; want %+v", tt.id, got, err, tt.want)
		}
	}
	if n := countNull(t, path, "response_owners", "context_tokens"); n != 1 {
		t.Errorf("%d owners with a NULL context, want 1 (resp_3)", n)
	}
}

// countNull counts the rows of table whose column is NULL.
func countNull(t *testing.T, target, table, column string) int {
	t.Helper()
	db := rawConn(t, target)
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table+" WHERE "+column+" IS NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
