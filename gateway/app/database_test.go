package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/internal/pgtest"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// TestMain stops the PostgreSQL server TestOpenMeteringPostgres started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// --database, else $APERTURE_DATABASE (also as the state directory's
// environment file sets it, after the flags were read), else the SQLite
// file in the state directory.
func TestDatabaseTarget(t *testing.T) {
	state := t.TempDir()
	for _, tt := range []struct{ flag, env, want string }{
		{"", "", filepath.Join(state, ledgerFile)},
		{"", "postgres://db.example/ap", "postgres://db.example/ap"},
		{"postgres://flag.example/ap", "postgres://db.example/ap", "postgres://flag.example/ap"},
		{"/srv/ledger.db", "", "/srv/ledger.db"},
	} {
		t.Setenv(databaseEnv, tt.env)
		if got := databaseTarget(tt.flag, state); got != tt.want {
			t.Errorf("databaseTarget(%q) with $%s=%q = %q, want %q", tt.flag, databaseEnv, tt.env, got, tt.want)
		}
	}
}

// install keeps a database URL, which may hold a password, out of the
// unit file (readable by every local user, and the process's arguments
// too): it goes to the service's 0600 environment file.
func TestInstallKeepsDatabaseURLOutOfTheUnit(t *testing.T) {
	t.Setenv(databaseEnv, "")
	root, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	url := "postgres://aperture:SECRET@db.example/aperture"
	code, out := runMain("install", "--root", root, "--state-dir", state, "--database", url)
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/aperture.service"))
	if err != nil {
		t.Fatalf("unit not written: %v\n%s", err, out)
	}
	if strings.Contains(string(unit), "SECRET") || strings.Contains(string(unit), "database") || strings.Contains(out, "SECRET") {
		t.Errorf("the database URL is in the unit or the output:\n%s\n%s", unit, out)
	}
	entries, err := readEnvFile(envFilePath(state))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || (e.Name == databaseEnv && e.Value == url)
	}
	if !found {
		t.Errorf("environment file %q lacks %s", entries, databaseEnv)
	}
}

// backup of a ledger in PostgreSQL refuses, naming pg_dump, and never
// prints the URL's password.
func TestBackupRefusesPostgres(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "backup.db")
	code, stdout := runMain("backup", "--state-dir", dir, "--database", "postgres://ap:SECRET@db.example/ap", out)
	if code != 1 || !strings.Contains(stdout, "pg_dump") || strings.Contains(stdout, "SECRET") {
		t.Errorf("backup of a postgres ledger: exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("backup wrote %s", out)
	}
}

// The gateway opens its ledger in PostgreSQL given a URL, and logs where
// with the password redacted.
func TestOpenMeteringPostgres(t *testing.T) {
	dsn := pgtest.Database(t) + "&password=SECRET" // trust authentication ignores it
	cfg, _, err := config.Parse([]byte(config.DefaultConfigText))
	if err != nil {
		t.Fatal(err)
	}
	var logs testbin.SyncBuffer
	m, err := openMetering(t.TempDir(), dsn, "test-replica", cfg, logs.Logf)
	if err != nil {
		t.Fatalf("openMetering: %v", err)
	}
	defer m.Close()
	if got := m.ledger.Backend(); got != ledger.BackendPostgres {
		t.Errorf("Backend = %q, want postgres", got)
	}
	if s := logs.String(); !strings.Contains(s, "ledger: postgres database postgres://") || strings.Contains(s, "SECRET") {
		t.Errorf("logs do not say where the ledger is, or show the password:\n%s", s)
	}
	// The spending limits are the database's, not this process's: the
	// shared quota store's tables are there.
	var n int
	if err := m.ledger.DB().QueryRow(`SELECT count(*) FROM pg_tables WHERE tablename IN ('quota_buckets', 'quota_holds', 'quota_charges')`).Scan(&n); err != nil || n != 3 {
		t.Errorf("shared quota tables: %d of 3 (%v): the limits are not shared across replicas", n, err)
	}
}

// A ledger that install put in PostgreSQL (its URL only in the state
// directory's environment file) is what backup finds too: it refuses,
// naming pg_dump, instead of looking for <state>/aperture.db.
func TestBackupReadsTheInstalledDatabase(t *testing.T) {
	t.Setenv(databaseEnv, "")
	dir := t.TempDir()
	if err := writeEnvFile(envFilePath(dir), []envEntry{{databaseEnv, "postgres://ap:SECRET@db.example/ap"}}); err != nil {
		t.Fatal(err)
	}
	code, stdout := runMain("backup", "--state-dir", dir, filepath.Join(t.TempDir(), "backup.db"))
	if code != 1 || !strings.Contains(stdout, "pg_dump") || strings.Contains(stdout, "SECRET") {
		t.Errorf("backup of an installed postgres ledger: exit %d\n%s", code, stdout)
	}
}

// install --database with a SQLite path stores it absolute: the service
// does not run from the directory install was run in.
func TestInstallMakesDatabasePathAbsolute(t *testing.T) {
	t.Setenv(databaseEnv, "")
	root, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	t.Chdir(t.TempDir())
	if code, out := runMain("install", "--root", root, "--state-dir", state, "--database", "ledger.db"); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	entries, _ := readEnvFile(envFilePath(state))
	for _, e := range entries {
		if e.Name == databaseEnv && !filepath.IsAbs(e.Value) {
			t.Errorf("%s=%s is relative", e.Name, e.Value)
		}
	}
}
