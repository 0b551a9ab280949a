package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// idsIn returns the request IDs in the database at path.
func idsIn(t *testing.T, path string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite", existingDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id FROM requests`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// reopen opens a backup as the gateway would open a restored database,
// and checks that its captures read back.
func reopen(t *testing.T, path string) *Ledger {
	t.Helper()
	l, err := Open(path, Options{Logf: t.Logf})
	if err != nil {
		t.Fatalf("the backup does not open as a ledger: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestBackupWhileWriting backs up a ledger that several writers keep
// committing to: the copy opens as a ledger and has every row whose
// commit returned before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	sqliteOnly(t, "backup copies a SQLite file; PostgreSQL is copied with pg_dump (TestBackupRefusesPostgres)")
	l, path := openTest(t, Options{})
	var (
		mu        sync.Mutex
		committed []string
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		errs      = make(chan error, 4)
		started   = make(chan struct{})
		startOnce sync.Once
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := record(i)
				r.ID = fmt.Sprintf("w%d-%06d", w, i)
				r.Capture = &Capture{RequestBody: []byte("prompt " + r.ID), ResponseBody: []byte(strings.Repeat("answer ", 50))}
				if err := l.Commit(context.Background(), r); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				committed = append(committed, r.ID)
				n := len(committed)
				mu.Unlock()
				if n >= 400 {
					startOnce.Do(func() { close(started) })
				}
			}
		}()
	}
	<-started
	for round := range 3 {
		mu.Lock()
		before := append([]string(nil), committed...)
		mu.Unlock()
		out := filepath.Join(t.TempDir(), fmt.Sprintf("backup-%d.db", round))
		info, err := Backup(context.Background(), path, out)
		if err != nil {
			t.Fatalf("Backup while writing: %v", err)
		}
		got := idsIn(t, out)
		for _, id := range before {
			if !got[id] {
				t.Fatalf("round %d: committed row %s is not in the backup (%d of %d rows there)", round, id, len(got), len(before))
			}
		}
		if info.Requests != int64(len(got)) || info.SchemaVersion != len(migrations) {
			t.Errorf("round %d: info = %+v, %d rows in the file", round, info, len(got))
		}
		if runtime.GOOS != "windows" {
			if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("backup mode = %v (%v), want 0600: it holds prompts and keys", st.Mode().Perm(), err)
			}
		}
		b := reopen(t, out)
		c, err := b.Capture(context.Background(), before[0])
		if err != nil || string(c.RequestBody) != "prompt "+before[0] {
			t.Errorf("round %d: capture of %s in the backup: %+v, %v", round, before[0], c, err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("a writer failed: %v", err)
	default:
	}
}

// TestBackupBesideOpenWriteTransaction takes a backup while the ledger's
// writer is inside a write transaction: the backup does not wait for it
// (it would hang here if it did) and holds none of its rows.
func TestBackupBesideOpenWriteTransaction(t *testing.T) {
	sqliteOnly(t, "backup copies a SQLite file; PostgreSQL is copied with pg_dump (TestBackupRefusesPostgres)")
	// Without the row log, whose rows a backup adds to the copy
	// (TestBackupHasTheRowLogsRows): here the transaction's rows are
	// only in the transaction.
	l, path := openTest(t, Options{NoRowLog: true})
	mustCommit(t, l, record(1))
	inTx, release := make(chan struct{}), make(chan struct{})
	inWrite := func() error { // in the database's transaction only
		close(inTx)
		<-release
		return nil
	}
	l.hookWrite.Store(&inWrite)
	done := make(chan error, 1)
	go func() { done <- l.Commit(context.Background(), record(2)) }()
	<-inTx
	out := filepath.Join(t.TempDir(), "backup.db")
	_, err := Backup(context.Background(), path, out)
	l.hookWrite.Store(nil)
	close(release)
	if err != nil {
		t.Fatalf("Backup beside an open write transaction: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := idsIn(t, out)
	if !got[record(1).ID] || got[record(2).ID] || len(got) != 1 {
		t.Errorf("backup rows = %v, want only the one committed before it", got)
	}
}

func TestBackupRefusals(t *testing.T) {
	sqliteOnly(t, "backup copies a SQLite file; PostgreSQL is copied with pg_dump (TestBackupRefusesPostgres)")
	l, path := openTest(t, Options{})
	mustCommit(t, l, record(1))
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	notLedger := filepath.Join(dir, "other.db")
	if db, err := sql.Open("sqlite", sqliteURI(notLedger)); err != nil {
		t.Fatal(err)
	} else {
		if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	tests := []struct {
		name, src, dst, want string
	}{
		{"no database", filepath.Join(dir, "missing.db"), filepath.Join(dir, "a.db"), "no ledger database"},
		{"a directory", dir, filepath.Join(dir, "b.db"), "not a database file"},
		{"not a ledger", notLedger, filepath.Join(dir, "c.db"), "not an aperture ledger"},
		{"existing target", path, existing, "already exists"},
		{"missing target directory", path, filepath.Join(dir, "nope", "d.db"), "backup:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Backup(context.Background(), tt.src, tt.dst)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Backup(%s, %s) = %v, want an error with %q", tt.src, tt.dst, err, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("an existing file was overwritten: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".partial-") {
			t.Errorf("a failed backup left %s behind", e.Name())
		}
	}
}

// TestBackupOfStoppedLedger backs up a database no gateway has open, as
// after a clean stop (no -wal or -shm file beside it).
func TestBackupOfStoppedLedger(t *testing.T) {
	sqliteOnly(t, "backup copies a SQLite file; PostgreSQL is copied with pg_dump (TestBackupRefusesPostgres)")
	l, path := openTest(t, Options{})
	mustCommit(t, l, record(1))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	info, err := Backup(context.Background(), path, out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Requests != 1 {
		t.Errorf("info = %+v", info)
	}
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil || len(entries) != 1 {
		t.Errorf("backup directory holds %v (%v), want only the backup", entries, err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			t.Errorf("the backup left %s%s beside the stopped database", filepath.Base(path), suffix)
		}
	}
}

// A ledger in PostgreSQL is not silently skipped: Backup refuses it,
// names pg_dump, and never shows the URL's password.
func TestBackupRefusesPostgres(t *testing.T) {
	out := filepath.Join(t.TempDir(), "backup.db")
	for _, src := range []string{
		"postgres://aperture:s3cret@db.example:5432/aperture",
		"postgresql://aperture@db.example/aperture?password=s3cret&sslmode=require",
	} {
		_, err := Backup(context.Background(), src, out)
		if err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("Backup(%s) = %v, want a refusal naming pg_dump", Redact(src), err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Backup's error shows the password: %v", err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("Backup(%s) wrote %s", Redact(src), out)
		}
	}
}

// TestBackupHasTheRowLogsRows: rows a running gateway has made durable
// in its row log, not yet committed to the database, are in the backup.
func TestBackupHasTheRowLogsRows(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	l, path := openTest(t, Options{IndexInterval: time.Hour})
	mustCommit(t, l, record(0)) // in the database
	withResponse := fullRecord(1)
	for _, r := range []*Record{withResponse, record(2), record(3)} {
		if err := l.Enqueue(r); err != nil {
			t.Fatal(err)
		}
	}
	// The segment appended to may hold the committed row too.
	if ids := loggedIDs(t, path); !containsAll(ids, record(1).ID, record(2).ID, record(3).ID) {
		t.Fatalf("row log holds %v; the test needs the 3 enqueued rows there", ids)
	}
	if n := len(idsIn(t, path)); n != 1 {
		t.Fatalf("%d rows in the database; the test needs only the committed one there", n)
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	info, err := Backup(context.Background(), path, out)
	if err != nil {
		t.Fatal(err)
	}
	got := idsIn(t, out)
	for i := range 4 {
		if !got[record(i).ID] {
			t.Errorf("row %s not in the backup (%v)", record(i).ID, got)
		}
	}
	if info.Requests != 4 {
		t.Errorf("info.Requests = %d, want 4", info.Requests)
	}
	b := reopen(t, out)
	if r, err := b.StoredResponse(context.Background(), withResponse.CreatedResponse); err != nil || r.ContextTokens != withResponse.ResponseContext {
		t.Errorf("the logged owner row in the backup: %+v, %v", r, err)
	}
}
