package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/usage"
)

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

// openTest opens a ledger in a fresh directory and closes it at cleanup.
func openTest(t testing.TB, opts Options) (*Ledger, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	l, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
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

// countRows counts the rows of a table in the database at path, opened
// independently of any Ledger.
func countRows(t testing.TB, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
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
