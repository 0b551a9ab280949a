package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tsplug/ts-plug/internal/testbin"
)

// openTestRowLog opens a row log beside a database path of its own (no
// database: the log alone), closed at cleanup.
func openTestRowLog(t *testing.T) (*rowLog, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	g, err := openRowLog(path, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.close)
	return g, path
}

// itemsOf is recs as the writer's items.
func itemsOf(t *testing.T, recs ...*Record) []*item {
	t.Helper()
	l := &Ledger{now: nowFunc, db: conn{d: sqliteDialect}}
	var out []*item
	for _, r := range recs {
		it, err := l.newItem(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

// writeSegment writes data as segment n of the row log of the database
// at path, as a gateway killed earlier would have left it, and returns
// the segment's path.
func writeSegment(t *testing.T, path string, n int, data []byte) string {
	t.Helper()
	seg := path + segmentInfix + strconv.Itoa(n)
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return seg
}

// segmentOf encodes recs as one segment's bytes.
func segmentOf(t *testing.T, recs ...*Record) []byte {
	t.Helper()
	var b []byte
	for _, it := range itemsOf(t, recs...) {
		var err error
		if b, err = appendRecord(b, it.req, it.owner); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// A write that failed part way (a full disk, then an OS crash) leaves
// part of a record at the end of a segment: the next Open commits every
// row before it, says where it stopped, and keeps the file aside.
func TestRowLogReplaysUpToATornRecord(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ledger.db")
	whole := segmentOf(t, record(0), record(1), fullRecord(2))
	torn := segmentOf(t, record(3))
	writeSegment(t, path, 7, append(whole, torn[:len(torn)/2]...))
	// An older segment, whose rows were committed before the kill (its
	// removal had not happened): replaying it doubles nothing.
	writeSegment(t, path, 3, segmentOf(t, record(0)))
	logs := &quietLogs{}
	l := openAt(t, path, Options{Logf: logs.Logf})
	rows, err := l.Requests(context.Background(), Query{Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	if want := []string{record(2).ID, record(1).ID, record(0).ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("rows after replay %v, want %v", ids, want)
	}
	if r, err := l.StoredResponse(context.Background(), fullRecord(2).CreatedResponse); err != nil || r.ContextTokens != 4096 {
		t.Errorf("the replayed owner row: %+v, %v", r, err)
	}
	if !strings.Contains(strings.Join(logs.Lines(), "\n"), "committing its first 3 rows") {
		t.Errorf("the torn tail was not reported: %q", logs.Lines())
	}
	if _, err := os.Stat(path + segmentInfix + "7.unread"); err != nil {
		t.Errorf("the torn segment was not kept aside: %v", err)
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if ids := loggedIDs(t, path); len(ids) != 0 {
			return fmt.Errorf("replayed segments not removed: %v", ids)
		}
		return nil
	})
	// New segments are numbered after the old ones and those kept
	// aside, never over them.
	if err := l.Enqueue(record(9)); err != nil {
		t.Fatal(err)
	}
	if l.rows.seq < 8 {
		t.Errorf("next segment %d, want after 7", l.rows.seq)
	}
}

// A segment garbled in its middle (or written by a release with other
// columns) is not removed: its rows before the damage are committed, and
// the file is kept aside for a person to look at.
func TestRowLogKeepsAGarbledSegment(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ledger.db")
	seg := segmentOf(t, record(0), record(1), record(2))
	first := len(segmentOf(t, record(0)))
	seg[first+6] ^= 0xff // inside the second record
	writeSegment(t, path, 1, seg)
	logs := &quietLogs{}
	l := openAt(t, path, Options{Logf: logs.Logf})
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, path, "requests"); n != 1 {
		t.Errorf("%d rows committed, want the 1 before the damage", n)
	}
	kept, err := os.ReadFile(path + segmentInfix + "1.unread")
	if err != nil || len(kept) != len(seg) {
		t.Errorf("the garbled segment was not kept whole: %d bytes, %v", len(kept), err)
	}
	if !strings.Contains(strings.Join(logs.Lines(), "\n"), ".unread") {
		t.Errorf("logs do not say where it was kept: %q", logs.Lines())
	}
}

// Rows reach the database within IndexInterval without anyone asking,
// and their segment goes.
func TestRowLogIndexesWithinInterval(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	l, path := openTest(t, Options{IndexInterval: 20 * time.Millisecond})
	for i := range 5 {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if n := countRows(t, path, "requests"); n != 5 {
			return fmt.Errorf("%d rows in the database", n)
		}
		if ids := loggedIDs(t, path); len(ids) != 0 {
			return fmt.Errorf("segments not removed: %v", ids)
		}
		if n := l.Stats().Logged; n != 0 {
			return fmt.Errorf("Stats.Logged = %d", n)
		}
		return nil
	})
}

// A second process on the same database does not touch the first's row
// log: it commits each group itself.
func TestRowLogHeldByOneProcess(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	first, path := openTest(t, Options{IndexInterval: time.Hour})
	if err := first.Enqueue(record(1)); err != nil {
		t.Fatal(err)
	}
	logs := &quietLogs{}
	second := openAt(t, path, Options{Logf: logs.Logf})
	if second.rows != nil {
		t.Fatal("a second ledger on the database took the row log too")
	}
	if !strings.Contains(strings.Join(logs.Lines(), "\n"), errRowLogBusy.Error()) {
		t.Errorf("logs do not say why: %q", logs.Lines())
	}
	if err := second.Enqueue(record(2)); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, path, "requests"); n != 1 {
		t.Errorf("%d rows in the database, want the second's 1 (the first's is in its log)", n)
	}
	if ids := loggedIDs(t, path); len(ids) != 1 || ids[0] != record(1).ID {
		t.Errorf("row log %v, want the first's row only", ids)
	}
}

// While the database cannot be written the rows wait in the log: Enqueue
// goes on succeeding (they are durable) until 4×QueueSize of them wait,
// the ledger reports itself unhealthy (metered requests are refused), a
// stored response is found in the log, and all of it reaches the
// database once it recovers.
func TestRowLogWhileDatabaseFails(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	l, path := openTest(t, Options{QueueSize: 2, IndexInterval: time.Millisecond,
		RetryInterval: 5 * time.Millisecond, Logf: (&quietLogs{}).Logf})
	dbErr := errors.New("database disk image is malformed (injected)")
	var failing atomic.Bool
	var writes atomic.Int64
	failing.Store(true)
	inWrite := func() error {
		writes.Add(1)
		if failing.Load() {
			return dbErr
		}
		return nil
	}
	l.hookWrite.Store(&inWrite) // the database only: the log still works
	withResponse := fullRecord(0)
	if err := l.Enqueue(withResponse); err != nil {
		t.Fatal(err)
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if err := l.Healthy(); !errors.Is(err, dbErr) {
			return fmt.Errorf("Healthy = %v, want the database's error", err)
		}
		return nil
	})
	// Found in the row log: the owner continues their conversation.
	if r, err := l.StoredResponse(context.Background(), withResponse.CreatedResponse); err != nil ||
		r.Principal != withResponse.Principal || r.ContextTokens != withResponse.ResponseContext {
		t.Errorf("StoredResponse while its row cannot be committed = %+v, %v; want it from the row log", r, err)
	}
	max := l.maxBacklog()
	for i := 1; i < max; i++ {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatalf("Enqueue %d of %d while the log works: %v", i, max, err)
		}
	}
	err := l.Enqueue(record(max))
	if err == nil || !strings.Contains(err.Error(), "has not taken the") || !errors.Is(err, dbErr) {
		t.Errorf("Enqueue past %d logged rows = %v, want a refusal naming the database's error", max, err)
	}
	// Once the indexer has taken every logged row and failed once more,
	// nothing new reaches it (the writer hands nothing over past the
	// bound): it must retry on its own.
	l.rows.mu.Lock()
	handedOver := len(l.rows.items)
	l.rows.mu.Unlock()
	if handedOver != 0 {
		testbin.WaitUntil(t, 5*time.Second, func() error {
			l.rows.mu.Lock()
			defer l.rows.mu.Unlock()
			if n := len(l.rows.items); n != 0 {
				return fmt.Errorf("%d items not yet taken by the indexer", n)
			}
			return nil
		})
	}
	w := writes.Load()
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if writes.Load() < w+1 {
			return errors.New("the indexer has not tried again")
		}
		return nil
	})
	failing.Store(false)
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if n := countRows(t, path, "requests"); n < max {
			return fmt.Errorf("%d rows in the database, want the %d logged", n, max)
		}
		return nil
	})
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if err := l.Sync(context.Background()); err != nil {
			return err
		}
		if n := countRows(t, path, "requests"); n != max+1 {
			return fmt.Errorf("%d rows after recovery, want %d", n, max+1)
		}
		return l.Healthy()
	})
	if r, err := l.StoredResponse(context.Background(), withResponse.CreatedResponse); err != nil || r.Principal == "" {
		t.Errorf("StoredResponse after recovery = %+v, %v", r, err)
	}
	if n := l.logged(); n != 0 {
		t.Errorf("%d rows not committed after recovery", n)
	}
	if segs := segmentFiles(t, path); len(segs) > 1 {
		t.Errorf("segments left after recovery: %v (at most the one appended to)", segs)
	}
}

// A write to the log that fails part way leaves its segment ending in
// part of a record: later rows go to a new segment, so that a replay
// stopping at the tear loses none of them.
func TestRowLogFailedWriteStartsANewSegment(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	g, path := openTestRowLog(t)
	stalled := func() error { return nil }
	if err := g.append(itemsOf(t, record(1)), 100, stalled); err != nil {
		t.Fatal(err)
	}
	// The disk fails this write: a handle that cannot write stands in.
	ro, err := os.Open(g.cur)
	if err != nil {
		t.Fatal(err)
	}
	g.f.Close()
	g.f = ro
	if err := g.append(itemsOf(t, record(2)), 100, stalled); err == nil {
		t.Fatal("append on a failing segment succeeded")
	}
	if err := g.append(itemsOf(t, record(2), record(3)), 100, stalled); err != nil {
		t.Fatal(err)
	}
	if len(g.segs) != 1 || g.cur == "" || g.cur == g.segs[0] {
		t.Errorf("segments %v and %q, want a new one after the failure", g.segs, g.cur)
	}
	if ids := loggedIDs(t, path); fmt.Sprint(ids) != fmt.Sprint([]string{record(1).ID, record(2).ID, record(3).ID}) {
		t.Errorf("row log %v", ids)
	}
	if g.logged() != 3 {
		t.Errorf("logged %d, want 3 (the failed append handed nothing over)", g.logged())
	}
}

// A client controls some columns (User-Agent, model, path: up to a
// megabyte of headers): they are clipped, so no row is too big to log and
// one request can never stop the ledger.
func TestLongColumnsAreClipped(t *testing.T) {
	t.Parallel()
	l, path := openTest(t, Options{RetryInterval: 5 * time.Millisecond, EnqueueWait: time.Second})
	big := record(0)
	big.UserAgent = strings.Repeat("é", 1<<20) // 2 MiB, two bytes a character
	big.Model = strings.Repeat("m", 100<<10)
	big.Path = "/v1/" + strings.Repeat("p", 1<<20)
	if err := l.Enqueue(big); err != nil {
		t.Fatalf("Enqueue of a row with megabyte columns: %v", err)
	}
	for i := 1; i <= 3; i++ {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatalf("Enqueue after it: %v", err)
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Healthy(); err != nil {
		t.Errorf("Healthy = %v", err)
	}
	db := rawConn(t, path)
	var ua, model, p string
	if err := db.QueryRowContext(context.Background(), `SELECT user_agent, model, path FROM requests WHERE id = ?`, big.ID).Scan(&ua, &model, &p); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"user_agent": ua, "model": model, "path": p} {
		if len(v) == 0 || len(v) > maxText || !utf8.ValidString(v) {
			t.Errorf("%s: %d bytes (valid UTF-8: %v), want 1..%d", name, len(v), utf8.ValidString(v), maxText)
		}
	}
	// Text that is not UTF-8 is cut, not emptied.
	if got := clip("x" + strings.Repeat("\x80", 9000)); len(got) != maxText {
		t.Errorf("clip of a long non-UTF-8 text kept %d bytes, want %d", len(got), maxText)
	}
}

// A row the log cannot encode (only a bug could make one) fails alone:
// its waiter learns it, and the rows beside it are logged.
func TestRowLogUnencodableRowFailsAlone(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	g, path := openTestRowLog(t)
	batch := itemsOf(t, record(0), record(1), record(2))
	for _, it := range batch {
		it.done = make(chan error, 1)
	}
	batch[1].req[len(batch[1].req)-1] = struct{}{} // no encoding for it
	batch[1].capture = []any{"its capture"}
	if err := g.append(batch, 100, func() error { return nil }); err != nil {
		t.Fatalf("append = %v, want the batch logged but its bad row", err)
	}
	for i, it := range batch {
		if err := <-it.done; (err != nil) != (i == 1) {
			t.Errorf("row %d: waiter told %v", i, err)
		}
	}
	if ids := loggedIDs(t, path); fmt.Sprint(ids) != fmt.Sprint([]string{record(0).ID, record(2).ID}) {
		t.Errorf("row log %v", ids)
	}
	if batch[1].capture != nil {
		t.Error("the failed row's capture is still handed to the indexer, a capture without its row")
	}
}

// While the database fails, what waits for it in memory is bounded,
// captures (which the row log does not hold) and Syncs included: past
// 4×QueueSize items, CaptureAsync waits and then fails.
func TestRowLogBoundsMemoryWhileDatabaseFails(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	l, _ := openTest(t, Options{QueueSize: 16, RetryInterval: time.Hour, EnqueueWait: 50 * time.Millisecond,
		Logf: (&quietLogs{}).Logf})
	fail := func() error { return errors.New("injected database failure") }
	l.hookWrite.Store(&fail)
	n := 20 * l.maxBacklog()
	if err := l.Enqueue(record(n)); err != nil {
		t.Fatal(err) // logged: the database is not needed yet
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Sync(ctx); err == nil {
		t.Fatal("Sync succeeded on a failing database")
	}
	refused := false
	for i := range n {
		if err := l.CaptureAsync(record(i).ID, testCapture(i)); err != nil {
			refused = true
			break
		}
	}
	if !refused {
		t.Errorf("all %d captures accepted while the database fails (bound %d)", n, l.maxBacklog())
	}
	l.rows.mu.Lock()
	held := l.rows.held
	l.rows.mu.Unlock()
	if held > l.maxBacklog() {
		t.Errorf("%d items held for the database, bound %d", held, l.maxBacklog())
	}
}

// A damaged length in the middle of a segment reads like a cut-short
// record: the segment is kept aside all the same, never removed.
func TestRowLogKeepsASegmentWithADamagedLength(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ledger.db")
	a, b, c := segmentOf(t, record(0)), segmentOf(t, record(1)), segmentOf(t, record(2))
	b[1] ^= 0x10 // the length now runs past the end of the file
	seg := writeSegment(t, path, 1, append(append(a, b...), c...))
	l := openAt(t, path, Options{Logf: (&quietLogs{}).Logf})
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, path, "requests"); n != 1 {
		t.Errorf("%d rows committed, want the 1 before the damage", n)
	}
	if _, err := os.Stat(seg + ".unread"); err != nil {
		t.Errorf("segment not kept aside: %v", err)
	}
}

// A damaged segment keeps its name until its readable rows are committed:
// a first run after the damage that cannot commit them (the database
// failing, say from the same full disk that cut the write) leaves them
// to the next.
func TestRowLogDamagedSegmentSurvivesAFailedFirstRun(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ledger.db")
	openAt(t, path, Options{}).Close() // the schema
	db := rawConn(t, path)
	if _, err := db.ExecContext(context.Background(), `CREATE TRIGGER deny BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'injected: disk full'); END`); err != nil {
		t.Fatal(err)
	}
	whole, torn := segmentOf(t, record(1), record(2)), segmentOf(t, record(3))
	seg := writeSegment(t, path, 5, append(whole, torn[:len(torn)/2]...))
	first, err := Open(path, Options{RetryInterval: 5 * time.Millisecond, Logf: (&quietLogs{}).Logf})
	if err != nil {
		t.Fatal(err)
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if first.Healthy() == nil {
			return errors.New("the first run has not met the failing database yet")
		}
		return nil
	})
	first.Close()
	if _, err := os.Stat(seg); err != nil {
		t.Fatalf("the damaged segment lost its name before its rows were committed: %v", err)
	}
	if _, err := db.ExecContext(context.Background(), `DROP TRIGGER deny`); err != nil {
		t.Fatal(err)
	}
	second := openAt(t, path, Options{Logf: (&quietLogs{}).Logf})
	if err := second.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, path, "requests"); n != 2 {
		t.Errorf("%d rows after the second run, want the damaged segment's 2", n)
	}
	if _, err := os.Stat(seg + ".unread"); err != nil {
		t.Errorf("the damaged segment was not kept aside once committed: %v", err)
	}
}

// Two logged rows naming the same created response (a provider reusing
// an ID): the first owner answers, as the database's first-wins insert
// will once they are committed.
func TestRowLogFirstOwnerWins(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	g, _ := openTestRowLog(t)
	a, b := fullRecord(1), fullRecord(2)
	b.Principal = "mallory@example.com"
	if err := g.append(itemsOf(t, a, b), 100, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if r, ok := g.storedResponse(a.CreatedResponse); !ok || r.Principal != a.Principal {
		t.Errorf("owner of %s = %+v, %v; want the first, %s", a.CreatedResponse, r, ok, a.Principal)
	}
}

// containsAll reports whether ids holds every one of want.
func containsAll(ids []string, want ...string) bool {
	have := make(map[string]bool, len(ids))
	for _, id := range ids {
		have[id] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

// segmentFiles lists the row log segments beside the database at path.
func segmentFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + segmentInfix + "[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRowLogSegmentOutlivesRounds: index rounds do not each create a
// segment file (a create cost 0.4-2 ms on the writer, on the requests'
// path); the one appended to goes on until it is a second old or
// segmentBytes long, and an idle ledger then removes it.
func TestRowLogSegmentOutlivesRounds(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	l, path := openTest(t, Options{IndexInterval: time.Millisecond})
	for i := range 5 {
		mustCommit(t, l, record(i)) // a round each
	}
	g := l.rows
	g.mu.Lock()
	seq, cur := g.seq, g.cur
	g.mu.Unlock()
	if seq != 1 {
		t.Errorf("5 rounds opened %d segments, want 1", seq)
	}
	if segs := segmentFiles(t, path); len(segs) != 1 || segs[0] != cur {
		t.Errorf("segment files %v, want only the one appended to (%s)", segs, cur)
	}
	// Idle: once segmentAge has passed, the indexer retires and removes
	// it, committed rows and all.
	testbin.WaitUntil(t, segmentAge+5*time.Second, func() error {
		if segs := segmentFiles(t, path); len(segs) > 0 {
			return fmt.Errorf("segments %v still there after the last row", segs)
		}
		return nil
	})
	mustCommit(t, l, record(5)) // the next row opens a new one
	if got := len(idsIn(t, path)); got != 6 {
		t.Errorf("%d rows in the database, want 6", got)
	}
}

func TestRowLogRetiring(t *testing.T) {
	g := &rowLog{}
	if due, _ := g.retiring(); due {
		t.Error("no segment open: retiring")
	}
	g.f, g.curAt = os.Stdin, time.Now() // any open file stands in
	if due, left := g.retiring(); due || left <= 0 || left > segmentAge {
		t.Errorf("fresh segment: due %v, left %v", due, left)
	}
	g.curBytes = segmentBytes
	if due, _ := g.retiring(); !due {
		t.Error("a segment of segmentBytes is not retiring")
	}
	g.curBytes, g.curAt = 0, time.Now().Add(-segmentAge)
	if due, _ := g.retiring(); !due {
		t.Error("a segment segmentAge old is not retiring")
	}
}

// TestRowLogSegmentRetiresUnderSteadyRows: rows that keep coming (one
// every 20 ms) do not keep one segment, and its committed rows for a
// replay, forever: it is retired once segmentAge old (by take, or by
// the indexer idle between two rows; TestRowLogTakeRetires tests take
// alone) and removed once its rows are committed.
func TestRowLogSegmentRetiresUnderSteadyRows(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	l, _ := openTest(t, Options{IndexInterval: time.Millisecond})
	mustCommit(t, l, record(0))
	first := l.rows.curName()
	i := 0
	testbin.WaitUntil(t, segmentAge+5*time.Second, func() error {
		i++
		mustCommit(t, l, record(i))
		if cur := l.rows.curName(); cur == first || cur == "" {
			return fmt.Errorf("still appending to %s after %d rows", first, i)
		}
		return nil
	})
	if _, err := os.Stat(first); err == nil {
		t.Errorf("retired segment %s still there after its rows were committed", first)
	}
}

// TestRowLogCloseLeavesNoSegments: a clean stop commits everything and
// removes the segment appended to, committed rows and all.
func TestRowLogCloseLeavesNoSegments(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	l, path := openTest(t, Options{})
	for i := range 3 {
		mustCommit(t, l, record(i))
	}
	if err := l.Enqueue(record(3)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if segs := segmentFiles(t, path); len(segs) != 0 {
		t.Errorf("segments after a clean Close: %v", segs)
	}
	if got := len(idsIn(t, path)); got != 4 {
		t.Errorf("%d rows in the database after Close, want 4", got)
	}
}

// curName is the segment appended to, "" when none is open.
func (g *rowLog) curName() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cur
}

// TestRowLogTakeRetires: take hands over the segment appended to only
// when it is due (segmentAge, segmentBytes) or last (Close); otherwise
// later rows go on into it.
func TestRowLogTakeRetires(t *testing.T) {
	sqliteOnly(t, "the row log")
	t.Parallel()
	g, _ := openTestRowLog(t)
	stalled := func() error { return nil }
	appendOne := func(i int) {
		t.Helper()
		if err := g.append(itemsOf(t, record(i)), 100, stalled); err != nil {
			t.Fatal(err)
		}
	}
	appendOne(0)
	cur := g.curName()
	if _, segs := g.take(nil, nil, false); len(segs) != 0 || g.curName() != cur {
		t.Errorf("fresh segment: took %v, appending to %q; want none taken, still %q", segs, g.curName(), cur)
	}
	appendOne(1)
	g.mu.Lock()
	g.curAt = g.curAt.Add(-segmentAge)
	g.mu.Unlock()
	if _, segs := g.take(nil, nil, false); len(segs) != 1 || segs[0] != cur || g.curName() != "" {
		t.Errorf("a segment segmentAge old: took %v, appending to %q; want [%s] and none", segs, g.curName(), cur)
	}
	appendOne(2)
	cur = g.curName()
	g.mu.Lock()
	g.curBytes = segmentBytes
	g.mu.Unlock()
	if _, segs := g.take(nil, nil, false); len(segs) != 1 || segs[0] != cur {
		t.Errorf("a segment of segmentBytes: took %v, want [%s]", segs, cur)
	}
	appendOne(3)
	cur = g.curName()
	if _, segs := g.take(nil, nil, true); len(segs) != 1 || segs[0] != cur {
		t.Errorf("the last take: took %v, want [%s]", segs, cur)
	}
}
