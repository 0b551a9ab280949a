package ledger

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// oldDB creates a database at schema version v, as an older release
// would have left it.
func oldDB(t *testing.T, v int) string {
	t.Helper()
	target := newTarget(t)
	db := rawConn(t, target)
	defer db.Close()
	if err := migrate(context.Background(), db, v); err != nil {
		t.Fatalf("migrate to %d: %v", v, err)
	}
	return target
}

// testMigrations is the schema history of the backend the tests run on.
func testMigrations() []string {
	if onPostgres() {
		return pgMigrations
	}
	return migrations
}

func TestMigrateFromOlderVersions(t *testing.T) {
	steps := len(testMigrations())
	for v := 0; v < steps; v++ {
		t.Run(fmt.Sprintf("from v%d", v), func(t *testing.T) {
			path := oldDB(t, v)
			if v >= 1 {
				// A row written by the old release.
				db := rawConn(t, path)
				if _, err := db.Exec(`INSERT INTO requests (id, time, principal, model, cost_nanodollars)
					VALUES ('old-1', ?, 'bob@example.com', 'gpt-5', 42)`, baseTime.UnixNano()); err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			l, err := OpenURL(path, Options{Logf: t.Logf})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer l.Close()
			got, err := schemaVersion(context.Background(), &l.db)
			if err != nil || got != steps {
				t.Fatalf("schema version = %d, %v; want %d", got, err, steps)
			}
			// Every table of the current schema works.
			r := record(1)
			r.Capture = &Capture{RequestBody: []byte(`{"a":1}`)}
			r.Usage.Estimated, r.Unpriced = true, "web_search"
			mustCommit(t, l, r)
			if err := l.SaveBalances(map[string]Balance{"b": {Nanos: 1, Updated: baseTime}}); err != nil {
				t.Fatalf("SaveBalances: %v", err)
			}
			if err := l.RecordConfig(context.Background(), "h", "a", "{}"); err != nil {
				t.Fatalf("RecordConfig: %v", err)
			}
			if err := l.MarkExported(context.Background(), []string{r.ID}); err != nil {
				t.Fatalf("MarkExported: %v", err)
			}
			rows, err := l.Requests(context.Background(), Query{})
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if v >= 1 {
				want = 2
			}
			if len(rows) != want {
				t.Fatalf("%d rows, want %d", len(rows), want)
			}
			if n := rows[0]; n.ID != r.ID || !n.Estimated || n.Unpriced != "web_search" {
				t.Errorf("new row after migration = %+v", n)
			}
			if v >= 1 {
				old := rows[len(rows)-1]
				if old.ID != "old-1" || old.Model != "gpt-5" || old.CostNanos == nil || *old.CostNanos != 42 ||
					!old.Time.Equal(baseTime) || old.Estimated || old.Unpriced != "" {
					t.Errorf("old row after migration = %+v", old)
				}
			}
		})
	}
}

func TestOpenNewerSchemaFails(t *testing.T) {
	path := oldDB(t, len(testMigrations()))
	db := rawConn(t, path)
	if _, err := db.Exec(`UPDATE schema_version SET version = ?`, len(testMigrations())+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := OpenURL(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema = %v, want a 'newer' error", err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	path := oldDB(t, len(testMigrations()))
	for range 2 {
		l, err := OpenURL(path, Options{Logf: t.Logf, PurgeInterval: time.Hour})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		var n int
		if err := l.db.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&n); err != nil || n != 1 {
			t.Errorf("schema_version rows = %d, %v; want 1", n, err)
		}
		l.Close()
	}
}
