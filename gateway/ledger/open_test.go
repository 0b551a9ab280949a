package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOpenPragmas(t *testing.T) {
	sqliteOnly(t, "PRAGMAs")
	l, _ := openTest(t, Options{})
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "10000"},
		{"cache_size", "-256"}, // KiB, outside the Go heap
	} {
		var got string
		if err := l.db.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", c.pragma, err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %q, want %q", c.pragma, got, c.want)
		}
	}
}

func TestOpenFileMode(t *testing.T) {
	sqliteOnly(t, "the database file's permissions")
	_, path := openTest(t, Options{})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode %v, want 0600 (captures are private)", mode)
	}
}

func TestOpenSyncFull(t *testing.T) {
	sqliteOnly(t, "PRAGMA synchronous")
	l, _ := openTest(t, Options{SyncFull: true})
	var got string
	if err := l.db.QueryRow("PRAGMA synchronous").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "2" {
		t.Errorf("synchronous = %s, want 2 (FULL)", got)
	}
}

func TestOpenBadPath(t *testing.T) {
	sqliteOnly(t, "a file path")
	_, err := Open(filepath.Join(t.TempDir(), "missing-dir", "x.db"), Options{})
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func TestCloseFlushesQueue(t *testing.T) {
	path := newTarget(t)
	l, err := OpenURL(path, Options{Logf: t.Logf, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// Rows and captures nobody waits for (an hour-long flush interval
	// keeps them queued).
	const n = 500
	for i := range n {
		queueOnly(t, l, record(i))
		if err := l.CaptureAsync(record(i).ID, testCapture(i)); err != nil {
			t.Fatalf("CaptureAsync: %v", err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := countRows(t, path, "requests"); got != n {
		t.Errorf("after Close: %d rows, want %d", got, n)
	}
	if got := countRows(t, path, "captures"); got != n {
		t.Errorf("after Close: %d captures, want %d", got, n)
	}
	if err := l.Commit(context.Background(), record(n)); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Close = %v, want ErrClosed", err)
	}
	if err := l.Enqueue(record(n)); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestReopenKeepsRows(t *testing.T) {
	path := newTarget(t)
	for round := range 3 {
		l, err := OpenURL(path, Options{Logf: t.Logf})
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		mustCommit(t, l, record(round))
		rows, err := l.Requests(context.Background(), Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != round+1 {
			t.Errorf("round %d: %d rows, want %d", round, len(rows), round+1)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
