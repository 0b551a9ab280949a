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

// TestStartServerDurable checks the entry point outside a test's
// lifetime (the benchmark harness): a durable server runs with fsync on,
// names its process, and makes databases of its own.
func TestStartServerDurable(t *testing.T) {
	s, err := StartServer(Options{Durable: true})
	if IsMissing(err) {
		skipOrFail(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if s.Pid() <= 0 {
		t.Errorf("Pid = %d", s.Pid())
	}
	dsn, err := s.CreateDatabase()
	if err != nil {
		t.Fatal(err)
	}
	if dsn == s.DSN {
		t.Fatalf("CreateDatabase returned the server's own DSN %s", dsn)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fsync string
	if err := db.QueryRow("SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "on" {
		t.Errorf("a durable server runs with fsync=%s", fsync)
	}
}
