package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/usage"
	"github.com/tsplug/ts-plug/internal/pgtest"
)

// TestMain stops the PostgreSQL server the tests shared, if any.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// onPostgres reports whether the tests run against PostgreSQL:
// APERTURE_TEST_DATABASE=postgres runs this package's tests on a fresh
// database each (internal/pgtest); otherwise they run on SQLite files.
func onPostgres() bool { return os.Getenv("APERTURE_TEST_DATABASE") == BackendPostgres }

// sqliteOnly skips a test of something only SQLite has, on PostgreSQL.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if onPostgres() {
		t.Skipf("SQLite only: %s", why)
	}
}

// postgresOnly skips a test of something only PostgreSQL has, on SQLite.
func postgresOnly(t testing.TB) {
	t.Helper()
	if !onPostgres() {
		t.Skip("PostgreSQL only: run with APERTURE_TEST_DATABASE=postgres")
	}
}

// fakeClockTest skips, on PostgreSQL, a test that runs the ledger in a
// synctest bubble: the bubble's clock advances only while every goroutine
// in it is blocked on the bubble, never while one waits on a network
// connection, so a ledger talking to a server stalls it. These tests are
// of the writer's queueing and timers, the same code on both backends;
// TestPostgresStalledServerIsBounded covers the bounds against a server.
func fakeClockTest(t *testing.T) {
	t.Helper()
	if onPostgres() {
		t.Skip("synctest's fake clock cannot run beside a real server's connections; the writer's timers are the same on both backends")
	}
}

// newTarget returns where a fresh, empty ledger goes: a file in a fresh
// directory, or a fresh PostgreSQL database's URL.
func newTarget(t testing.TB) string {
	t.Helper()
	if onPostgres() {
		return pgtest.Database(t)
	}
	return filepath.Join(t.TempDir(), "ledger.db")
}

// rawConn opens the database at target independently of any Ledger,
// to see what is stored (queries take ? placeholders, as the ledger's).
func rawConn(t testing.TB, target string) *conn {
	t.Helper()
	driver, source, d := "sqlite", dsn(target, false, defaultCheckpointTiming.walLimit), sqliteDialect
	if IsPostgresURL(target) {
		driver, source, d = "pgx", target, postgresDialect
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &conn{db: db, d: d}
}

// Shorthands for tests, without a context.

func (c *conn) QueryRow(q string, args ...any) *sql.Row {
	return c.QueryRowContext(context.Background(), q, args...)
}

func (c *conn) Exec(q string, args ...any) (sql.Result, error) {
	return c.ExecContext(context.Background(), q, args...)
}

func (c *conn) Query(q string, args ...any) (*sql.Rows, error) {
	return c.QueryContext(context.Background(), q, args...)
}

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// quietLogs collects the ledger's log lines for assertions.
type quietLogs struct {
	mu    sync.Mutex
	lines []string
}

func (q *quietLogs) Logf(format string, args ...any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lines = append(q.lines, fmt.Sprintf(format, args...))
}

func (q *quietLogs) Lines() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.lines...)
}

// openTest opens a fresh ledger (newTarget) and closes it at cleanup. It
// returns the ledger and where it is, to open it again or look inside.
func openTest(t testing.TB, opts Options) (*Ledger, string) {
	t.Helper()
	target := newTarget(t)
	return openAt(t, target, opts), target
}

// openAt opens the ledger at target and closes it at cleanup.
func openAt(t testing.TB, target string, opts Options) *Ledger {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	l, err := OpenURL(target, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// baseTime is a fixed instant for deterministic rows.
var baseTime = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// record returns a plausible record number i.
func record(i int) *Record {
	return &Record{
		ID:           fmt.Sprintf("req-%06d", i),
		Time:         baseTime.Add(time.Duration(i) * time.Second),
		LoginName:    "alice@example.com",
		NodeName:     "laptop.tail.ts.net",
		StableNodeID: "nSTABLE1CNTRL",
		Principal:    "alice@example.com",
		Provider:     "anthropic",
		Model:        "claude-sonnet-4-6",
		API:          config.AnthropicMessages,
		Stream:       true,
		Status:       200,
		Duration:     1500 * time.Millisecond,
		TTFB:         250 * time.Millisecond,
		Usage: usage.Usage{InputTokens: 100, OutputTokens: 50, CachedTokens: 10,
			CacheCreationTokens: 5, CacheCreation5mTokens: 5, ReasoningTokens: 7, Found: true},
		CostNanos: 1234,
		CostKnown: true,
		SessionID: "sess-1",
	}
}

// mustCommit commits r or fails the test.
func mustCommit(t testing.TB, l *Ledger, r *Record) {
	t.Helper()
	if err := l.Commit(context.Background(), r); err != nil {
		t.Fatalf("Commit(%s): %v", r.ID, err)
	}
}

// countRows counts the rows of a table in the database at target, opened
// independently of any Ledger.
func countRows(t testing.TB, target, table string) int {
	t.Helper()
	db := rawConn(t, target)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// queueOnly queues r with nobody waiting for its commit, the way Enqueue
// did before it waited: for tests of the writer's gathering, and of what
// Close and queries do with rows not yet written.
func queueOnly(t testing.TB, l *Ledger, r *Record) {
	t.Helper()
	it, err := l.newItem(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.enqueue(context.Background(), it); err != nil {
		t.Fatalf("queue %s: %v", r.ID, err)
	}
}

// testCapture is a small capture.
func testCapture(i int) *Capture {
	return &Capture{RequestBody: []byte(fmt.Sprintf(`{"q":%d}`, i)), ResponseBody: []byte(fmt.Sprintf(`{"a":%d}`, i))}
}

// loggedIDs returns the IDs of the rows in the row log segments beside
// the SQLite database at path, in the order they were appended.
func loggedIDs(t testing.TB, path string) []string {
	t.Helper()
	g := &rowLog{base: path}
	segs, _, err := g.segments()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range segs {
		items, err := readSegment(s.path)
		if err != nil {
			t.Fatalf("segment %s: %v", s.path, err)
		}
		for _, it := range items {
			ids = append(ids, it.req[0].(string))
		}
	}
	return ids
}

// logRecorder keeps what a ledger logs (Options.Logf), for a test to
// read while the ledger runs.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

// String is every line logged so far.
func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// count is how many lines logged so far hold sub.
func (r *logRecorder) count(sub string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, line := range r.lines {
		if strings.Contains(line, sub) {
			n++
		}
	}
	return n
}
