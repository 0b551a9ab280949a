package ledger

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestNumberPlaceholders(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		{`INSERT INTO t VALUES (?, '', ?)`, `INSERT INTO t VALUES ($1, '', $2)`},
		{`SELECT '?', "a?b", ? FROM t`, `SELECT '?', "a?b", $1 FROM t`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
	} {
		if got := numberPlaceholders(tt.in); got != tt.want {
			t.Errorf("numberPlaceholders(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := sqliteDialect.rebind(`a = ?`); got != `a = ?` {
		t.Errorf("SQLite rebind = %q, want the query unchanged", got)
	}
}

func TestIsPostgresURLAndRedact(t *testing.T) {
	for _, tt := range []struct {
		in     string
		pg     bool
		redact string
	}{
		{"/var/lib/aperture/aperture.db", false, "/var/lib/aperture/aperture.db"},
		{"aperture.db", false, "aperture.db"},
		{"postgres://db.example/aperture", true, "postgres://db.example/aperture"},
		{"postgres://ap:s3cret@db.example:5432/aperture?sslmode=require", true, "postgres://ap:xxxxx@db.example:5432/aperture?sslmode=require"},
		{"PostgreSQL://ap@db.example/aperture?password=s3cret", true, "postgresql://ap@db.example/aperture?password=xxxxx"},
		{"postgres://ap:s3cret@db.example/%zz", true, "postgres://(a URL that does not parse; not shown, it may hold a password)"},
		{"postgres://ap@db.example/aperture?sslpassword=s3cret", true, "postgres://ap@db.example/aperture?sslpassword=xxxxx"},
		// libpq key=value strings, which pgx reads: PostgreSQL, not a
		// SQLite file named after them.
		{"host=db.example user=ap password=s3cret dbname=aperture", true, "host=db.example user=ap password=xxxxx dbname=aperture"},
		{" host=db password = 's3 cr\\'et' sslpassword=s3cret", true, " host=db password = xxxxx sslpassword=xxxxx"},
		{"./host=db.db", false, "./host=db.db"},
	} {
		if got := IsPostgresURL(tt.in); got != tt.pg {
			t.Errorf("IsPostgresURL(%q) = %v, want %v", tt.in, got, tt.pg)
		}
		got := Redact(tt.in)
		if got != tt.redact {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.redact)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) shows the password", tt.in)
		}
	}
}

// A caller can put any bytes in a model name or a header: a row holding
// NUL or invalid UTF-8 is committed on either backend (PostgreSQL's
// TEXT refuses them, and one such row would otherwise fail every group
// commit it shares, over and over), and the other rows with it too.
func TestCommitOddText(t *testing.T) {
	t.Parallel()
	l, _ := openTest(t, Options{RetryInterval: time.Hour, Logf: func(string, ...any) {}})
	odd := record(1)
	odd.Model, odd.UserAgent, odd.SessionID = "gpt\x00-5", "curl/\xff\xfe", "s\x00"
	odd.CreatedResponse = "resp_\x00"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Commit(ctx, odd); err != nil {
		t.Fatalf("Commit of a row with NUL and invalid UTF-8: %v", err)
	}
	mustCommit(t, l, record(2))
	rows, err := l.Requests(ctx, Query{})
	if err != nil || len(rows) != 2 {
		t.Fatalf("Requests = %d rows, %v; want 2", len(rows), err)
	}
	got := rows[1]
	if !strings.HasPrefix(got.Model, "gpt") || !strings.HasSuffix(got.Model, "-5") {
		t.Errorf("model stored as %q", got.Model)
	}
	if onPostgres() && (got.Model != "gpt-5" || got.SessionID != "s") {
		t.Errorf("PostgreSQL row = model %q, session %q; want NUL dropped", got.Model, got.SessionID)
	}
}

// Backend, DB and Ping are what other code (the shared quota store,
// /healthz) builds on.
func TestBackendDBAndPing(t *testing.T) {
	t.Parallel()
	l, _ := openTest(t, Options{})
	want, placeholder := BackendSQLite, "?"
	if onPostgres() {
		want, placeholder = BackendPostgres, "$1"
	}
	if got := l.Backend(); got != want {
		t.Errorf("Backend = %q, want %q", got, want)
	}
	mustCommit(t, l, record(1))
	var n int
	if err := l.DB().QueryRow(`SELECT COUNT(*) FROM requests WHERE id = `+placeholder, record(1).ID).Scan(&n); err != nil || n != 1 {
		t.Errorf("DB() count = %d, %v; want 1", n, err)
	}
	if err := l.Ping(context.Background()); err != nil {
		t.Errorf("Ping = %v", err)
	}
}
