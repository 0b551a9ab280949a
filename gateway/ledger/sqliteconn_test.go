package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// queryInt runs q, which returns one integer (a pragma's value), on c.
func (c *sqliteConn) queryInt(q string) (int64, error) {
	stmt, err := c.prepare(q)
	if err != nil {
		return 0, err
	}
	defer c.finalize(stmt)
	if rc := sqlite3.Xsqlite3_step(c.tls, stmt); rc != sqlite3.SQLITE_ROW {
		return 0, fmt.Errorf("%s: %w", q, c.error(rc))
	}
	return sqlite3.Xsqlite3_column_int64(c.tls, stmt, 0), nil
}

// scratchDB opens a database with a table t(k, v), v without a type, so
// that it keeps each value as it was bound: from the pool, and from a
// sqliteConn, with ins, its INSERT of (k, v), prepared there.
func scratchDB(t *testing.T) (_ *sql.DB, _ *sqliteConn, ins uintptr) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scratch.db")
	db, err := sql.Open("sqlite", dsn(path, false, defaultCheckpointTiming.walLimit))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (k INTEGER NOT NULL, v)`); err != nil {
		t.Fatal(err)
	}
	sc, err := openSQLiteConn(path, sqlitePragmas(false, defaultCheckpointTiming.walLimit))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.close)
	ins, err = sc.prepare(`INSERT INTO t (k, v) VALUES (?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.finalize(ins) }) // before close: cleanups run last first
	return db, sc, ins
}

type apiName string // a named string type, as config's are

// TestSQLiteConnWritesWhatTheDriverWrites binds each kind of value the
// ledger writes (and the edges of each) through the writer's own
// connection and through database/sql, and finds the same type and bytes
// stored: an empty string bound as NULL, say, would make INSERT OR
// IGNORE drop the row of a NOT NULL column without a word.
func TestSQLiteConnWritesWhatTheDriverWrites(t *testing.T) {
	db, sc, ins := scratchDB(t)
	values := []any{
		nil, "", "a", "a\x00b", "héllo, 世界", "\xff\xfe not UTF-8", strings.Repeat("x", 70_000),
		[]byte(nil), []byte{}, []byte{0, 1, 2, 0xff}, gzipMagic,
		int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), 42, int32(-7), uint32(math.MaxUint32), int8(3),
		true, false, 1.5, math.Inf(-1), float32(0.25),
		apiName("openai-chat"),
	}
	for i, v := range values {
		if _, err := db.Exec(`INSERT INTO t (k, v) VALUES (?, ?)`, 2*i, v); err != nil {
			t.Fatalf("database/sql, %#v: %v", v, err)
		}
		if err := sc.run(ins, []any{2*i + 1, v}); err != nil {
			t.Fatalf("sqliteConn, %#v: %v", v, err)
		}
	}
	rows, err := db.Query(`SELECT k, typeof(v), quote(v) FROM t ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][2]string
	for rows.Next() {
		var k int
		var typ, q string
		if err := rows.Scan(&k, &typ, &q); err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]string{typ, q})
	}
	if len(got) != 2*len(values) {
		t.Fatalf("%d rows, want %d", len(got), 2*len(values))
	}
	for i, v := range values {
		if want, g := got[2*i], got[2*i+1]; g != want {
			t.Errorf("%#.40v: the writer's connection stored %s %.60s, database/sql %s %.60s", v, g[0], g[1], want[0], want[1])
		}
	}
}

// TestSQLiteConnErrors: a value SQLite cannot take, a wrong number of
// arguments and a constraint each fail with what went wrong, and leave
// the statement ready for the next run.
func TestSQLiteConnErrors(t *testing.T) {
	db, sc, ins := scratchDB(t)
	for _, tt := range []struct {
		name string
		args []any
		want string
	}{
		{"a struct", []any{1, struct{}{}}, "struct {}"},
		{"a time", []any{1, time.Unix(0, 0)}, "time.Time"},
		{"a huge uint64", []any{1, uint64(math.MaxUint64)}, "high bit"},
		{"one argument short", []any{1}, "1 arguments for 2 parameters"},
		{"NULL in NOT NULL", []any{nil, 1}, "NOT NULL constraint failed: t.k"},
	} {
		err := sc.run(ins, tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
	var se *sqliteError
	if err := sc.run(ins, []any{nil, 1}); !errors.As(err, &se) || se.code != sqlite3.SQLITE_CONSTRAINT_NOTNULL {
		t.Errorf("constraint: %v, want a sqliteError with the extended code %d", err, sqlite3.SQLITE_CONSTRAINT_NOTNULL)
	}
	if err := sc.run(ins, []any{7, "after the errors"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows (%v), want only the last one", n, err)
	}
}

// TestSQLiteConnArena: the parameters' arena grows for a large statement
// and is given back after it (captures can be megabytes); a small one
// keeps it.
func TestSQLiteConnArena(t *testing.T) {
	_, sc, ins := scratchDB(t)
	if err := sc.run(ins, []any{1, "small"}); err != nil {
		t.Fatal(err)
	}
	if sc.arenaCap == 0 || sc.arenaCap > arenaKeep {
		t.Errorf("after a small statement the arena is %d bytes, want kept (≤ %d)", sc.arenaCap, arenaKeep)
	}
	if err := sc.run(ins, []any{2, make([]byte, 3<<20)}); err != nil {
		t.Fatal(err)
	}
	if sc.arenaCap != 0 {
		t.Errorf("after a 3 MiB statement the arena is %d bytes, want it given back", sc.arenaCap)
	}
}

// TestSQLiteConnSettings: the writer's own connection has the pool's
// settings (sqlitePragmas), which matter to it most: it is what starts
// the WAL over (journal_size_limit) and it must not checkpoint inside
// its commits (wal_autocheckpoint).
func TestSQLiteConnSettings(t *testing.T) {
	sqliteOnly(t, "the SQLite writer's connection")
	l, _ := openTest(t, Options{checkpoint: checkpointTiming{walLimit: 3 << 20}})
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	for _, tt := range []struct {
		pragma string
		want   int64
	}{
		{"journal_size_limit", 3 << 20},
		{"wal_autocheckpoint", 0},
		{"busy_timeout", DefaultBusyTimeout.Milliseconds()},
		{"cache_size", -cacheKiB},
		{"synchronous", 1}, // NORMAL
		{"foreign_keys", 1},
	} {
		got, err := l.sc.queryInt("PRAGMA " + tt.pragma)
		if err != nil || got != tt.want {
			t.Errorf("PRAGMA %s = %d (%v), want %d", tt.pragma, got, err, tt.want)
		}
	}
	full, _ := openTest(t, Options{SyncFull: true})
	full.writeMu.Lock()
	defer full.writeMu.Unlock()
	if got, err := full.sc.queryInt("PRAGMA synchronous"); err != nil || got != 2 {
		t.Errorf("with SyncFull, PRAGMA synchronous = %d (%v), want 2 (FULL)", got, err)
	}
}

// TestWritesFromManyGoroutines: write is safe to call from several
// goroutines at once (tests do; the ledger itself writes from one), though
// the writer's connection is opened without SQLite's own mutex.
func TestWritesFromManyGoroutines(t *testing.T) {
	for _, noRowLog := range []bool{false, true} {
		t.Run(fmt.Sprintf("no row log: %v", noRowLog), func(t *testing.T) { testWritesFromManyGoroutines(t, noRowLog) })
	}
}

func testWritesFromManyGoroutines(t *testing.T, noRowLog bool) {
	// Without a row log no commit gate serializes the writes: writeMu
	// alone does.
	l, target := openTest(t, Options{NoRowLog: noRowLog})
	var wg sync.WaitGroup
	const writers, each = 8, 30
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				it, err := l.newItem(record(w*each + i))
				if err != nil {
					t.Error(err)
					return
				}
				if err := l.write([]*item{it}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := countRows(t, target, "requests"); got != writers*each {
		t.Errorf("%d rows, want %d", got, writers*each)
	}
}

// TestAFullDatabaseRollsBackAndRecovers: an index round that runs out of
// room (SQLite's own "database or disk is full", here a page limit on
// the writer's connection) fails as a whole, is logged, keeps its rows
// in the row log, and commits them all once there is room again.
func TestAFullDatabaseRollsBackAndRecovers(t *testing.T) {
	sqliteOnly(t, "the SQLite writer's connection")
	var logs logRecorder
	// Index rounds only when a Sync asks: the one that fails holds
	// every row.
	l, target := openTest(t, Options{Logf: logs.logf, IndexInterval: time.Hour, RetryInterval: 20 * time.Millisecond})
	ctx := context.Background()
	mustCommit(t, l, record(0))
	l.writeMu.Lock()
	pages, err := l.sc.queryInt("PRAGMA page_count")
	if err == nil {
		_, err = l.sc.queryInt(fmt.Sprintf("PRAGMA max_page_count = %d", pages))
	}
	l.writeMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	const n = 400 // more than the pages left hold
	for i := 1; i <= n; i++ {
		r := record(i)
		r.Error = strings.Repeat("e", 200)
		if err := l.Enqueue(r); err != nil {
			t.Fatalf("Enqueue %d: %v (the row log takes rows while the database is full)", i, err)
		}
	}
	if err := l.Sync(ctx); err == nil || !strings.Contains(err.Error(), "database or disk is full") {
		t.Errorf("Sync while full: %v, want the database's error", err)
	}
	if logs.count("database or disk is full") == 0 {
		t.Errorf("the failure is not logged: %q", logs.String())
	}
	if got := countRows(t, target, "requests"); got != 1 {
		t.Errorf("%d rows committed while full, want 1: a failed round commits nothing", got)
	}
	l.writeMu.Lock()
	_, err = l.sc.queryInt("PRAGMA max_page_count = 1000000")
	l.writeMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatalf("Sync after room was made: %v", err)
	}
	if got := countRows(t, target, "requests"); got != n+1 {
		t.Errorf("%d rows once there was room, want %d", got, n+1)
	}
	if err := l.Healthy(); err != nil {
		t.Errorf("Healthy after recovering: %v", err)
	}
}

// TestOddPathsAreOneFile: every connection to the ledger (the pool, the
// writer's, Backup's) opens the file its path names, the one Open
// created readable by its owner only, whatever the path holds: SQLite
// reads them as URIs (%XX is decoded, "#" and "?" end the path), and
// "link/.." is the kernel's, after following the link.
func TestOddPathsAreOneFile(t *testing.T) {
	sqliteOnly(t, "SQLite's file names")
	for _, tt := range []struct {
		name string
		// path returns the path to open in dir, and where the file must be.
		path func(t *testing.T, dir string) (path, real string)
	}{
		{"a hash", func(t *testing.T, dir string) (string, string) { p := filepath.Join(dir, "ledger#1.db"); return p, p }},
		{"a percent", func(t *testing.T, dir string) (string, string) { p := filepath.Join(dir, "led%41ger.db"); return p, p }},
		{"a question mark", func(t *testing.T, dir string) (string, string) { p := filepath.Join(dir, "a?b.db"); return p, p }},
		{"a double slash", func(t *testing.T, dir string) (string, string) {
			p := "/" + filepath.Join(dir, "x.db")
			return p, p[1:]
		}},
		{"a symbolic link then ..", func(t *testing.T, dir string) (string, string) {
			if err := os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(dir, "real", "sub"), filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(dir, "link") + "/../x.db", filepath.Join(dir, "real", "x.db")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, real := tt.path(t, dir)
			l, err := Open(path, Options{Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Commit(context.Background(), record(1)); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			rows, err := l.Requests(context.Background(), Query{})
			if err != nil || len(rows) != 1 {
				t.Errorf("Requests: %d rows (%v), want the one committed", len(rows), err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(real)
			if err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %v, %v: the rows are not in the file named, readable by its owner only", real, err, fi)
			}
			// No file beside it but its own (-wal, -shm, row log).
			var stray []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && d.Type()&os.ModeSymlink == 0 && !strings.HasPrefix(p, real) {
					stray = append(stray, p)
				}
				return nil
			})
			if len(stray) > 0 {
				t.Errorf("files beside %s: %v: the path was read as another", real, stray)
			}
			// Backup reads it by the same path, and writes to an odd one.
			info, err := Backup(context.Background(), path, filepath.Join(dir, "copy#%41?.db"))
			if err != nil || info.Requests != 1 {
				t.Errorf("Backup: %+v, %v; want the one row", info, err)
			}
		})
	}
}

// TestASwappedLinkKeepsTheLedger: a symbolic link in the ledger's path
// that is pointed elsewhere while the gateway runs does not send the
// pool's new connections to another file than the writer's: every
// connection reads every row.
func TestASwappedLinkKeepsTheLedger(t *testing.T) {
	sqliteOnly(t, "SQLite's file names")
	dir := t.TempDir()
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "current")
	if err := os.Symlink(filepath.Join(dir, "a"), link); err != nil {
		t.Fatal(err)
	}
	l, err := Open(filepath.Join(link, "ledger.db"), Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	mustCommit(t, l, record(1))
	// Pointed at b, as a deployment might be.
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "b"), link); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, l, record(2))
	// Every connection the pool can give, the ones opened now included.
	held := fillPool(t, l)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	if len(held) < 2 {
		t.Fatalf("the pool gave %d connections", len(held))
	}
	for i, c := range held {
		var n int
		if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM requests").Scan(&n); err != nil || n != 2 {
			t.Errorf("connection %d: %d rows (%v), want both", i, n, err)
		}
	}
}

// TestWriteAfterClose: once the writer's connection is closed a write
// fails with ErrClosed rather than reach for another connection.
func TestWriteAfterClose(t *testing.T) {
	l, _ := openTest(t, Options{})
	it, err := l.newItem(record(1))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.write([]*item{it}); !errors.Is(err, ErrClosed) && !onPostgres() {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
}

// TestASecondUserOfTheWriterConnectionPanics: the connection has no
// mutex of SQLite's; a call made while another is inside it (here the
// test holds it, as another goroutine would) is caught, not let through
// to corrupt C memory.
func TestASecondUserOfTheWriterConnectionPanics(t *testing.T) {
	_, sc, _ := scratchDB(t)
	sc.enter()
	defer sc.leave()
	defer func() {
		if recover() == nil {
			t.Error("a second user of the connection did not panic")
		}
	}()
	sc.exec("SELECT 1")
}
