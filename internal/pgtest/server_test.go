package pgtest

import (
	"database/sql"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestDatabaseIsolated checks that two tests' databases are separate,
// real PostgreSQL databases.
func TestDatabaseIsolated(t *testing.T) {
	a, b := Database(t), Database(t)
	if a == b {
		t.Fatalf("the same DSN twice: %s", a)
	}
	dba, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer dba.Close()
	if _, err := dba.Exec("CREATE TABLE x (n bigint); INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	dbb, err := sql.Open("pgx", b)
	if err != nil {
		t.Fatal(err)
	}
	defer dbb.Close()
	var n int
	if err := dbb.QueryRow("SELECT count(*) FROM pg_tables WHERE tablename = 'x'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database b sees a's table")
	}
	var v string
	if err := dba.QueryRow("SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL %s", v)
}

// TestStartStop checks that Stop ends the server: a new connection fails.
func TestStartStop(t *testing.T) {
	s := Start(t, Options{})
	if err := ping(t.Context(), s.DSN); err != nil {
		t.Fatalf("ping a started server: %v", err)
	}
	s.Stop()
	if err := ping(t.Context(), s.DSN); err == nil {
		t.Fatal("ping after Stop succeeded")
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("directory left behind: %v", err)
	}
}
