package ledger

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
)

// setHook installs a write hook for the ledger's lifetime, on the
// database's transactions and the row log's appends alike: a failing
// disk fails both.
func setHook(l *Ledger, f func() error) {
	l.hookWrite.Store(&f)
	l.hookLog.Store(&f)
}

// TestGroupCommit: concurrent writers share transactions, whether they
// wait for their row (Commit) or not (Enqueue), and no row is lost.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		opts  Options
		write func(*Ledger, *Record) error
	}{
		{"Commit", Options{}, func(l *Ledger, r *Record) error { return l.Commit(context.Background(), r) }},
		// Enqueuers that wait wake the writer at once (the flush interval
		// is an hour), and everyone who arrives while a transaction is
		// written shares the next.
		{"Enqueue", Options{FlushInterval: time.Hour}, (*Ledger).Enqueue},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, path := openTest(t, tt.opts)
			// Slow every transaction a little, as a real disk would, so
			// writes arriving meanwhile pile up behind it.
			setHook(l, func() error { time.Sleep(5 * time.Millisecond); return nil })
			const n = 200
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					if err := tt.write(l, record(i)); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("%s: %v", tt.name, err)
			}
			// Enqueue's rows may still be in the row log.
			if err := l.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := l.Stats()
			if st.Rows != n {
				t.Errorf("Stats.Rows = %d, want %d", st.Rows, n)
			}
			if st.Transactions >= n/4 {
				t.Errorf("%d concurrent writes took %d transactions; group commit should share them", n, st.Transactions)
			}
			t.Logf("%d writes in %d transactions", n, st.Transactions)
			if got := countRows(t, path, "requests"); got != n {
				t.Errorf("%d rows in the database, want %d", got, n)
			}
		})
	}
}

func TestCommitWaitsForItsRow(t *testing.T) {
	t.Parallel()
	l, path := openTest(t, Options{})
	for i := range 20 {
		mustCommit(t, l, record(i))
		// Read through an independent connection: the row must already
		// be committed when Commit returns.
		if got := countRows(t, path, "requests"); got != i+1 {
			t.Fatalf("after Commit %d: %d rows visible, want %d", i, got, i+1)
		}
	}
}

func TestEnqueueReturnsOnceDurable(t *testing.T) {
	t.Parallel()
	// An hour-long flush interval: were Enqueue to queue and return, the
	// row would not be written for an hour.
	t.Run("row log", func(t *testing.T) {
		sqliteOnly(t, "the row log")
		t.Parallel()
		// And an hour-long index interval: the row is in the row log, not
		// yet in the database, when Enqueue returns.
		l, path := openTest(t, Options{FlushInterval: time.Hour, IndexInterval: time.Hour})
		for i := range 20 {
			if err := l.Enqueue(record(i)); err != nil {
				t.Fatal(err)
			}
			// What a process that starts after a crash right now would
			// find: the row, in a segment beside the database.
			if got := loggedIDs(t, path); len(got) != i+1 || got[i] != record(i).ID {
				t.Fatalf("after Enqueue %d: row log holds %v, want the %d rows so far", i, got, i+1)
			}
		}
		if got := countRows(t, path, "requests"); got != 0 {
			t.Errorf("%d rows in the database before the index interval; the test shows nothing", got)
		}
	})
	t.Run("direct", func(t *testing.T) {
		t.Parallel()
		l, path := openTest(t, Options{FlushInterval: time.Hour, NoRowLog: true})
		for i := range 20 {
			if err := l.Enqueue(record(i)); err != nil {
				t.Fatal(err)
			}
			// Read through an independent connection: the row must already
			// be committed when Enqueue returns, as a crash right after must
			// not lose it.
			if got := countRows(t, path, "requests"); got != i+1 {
				t.Fatalf("after Enqueue %d: %d rows visible to another connection, want %d", i, got, i+1)
			}
		}
	})
}

func TestCapturesGatherUntilFlushInterval(t *testing.T) {
	fakeClockTest(t)
	t.Parallel()
	// In a synctest bubble, so that "nothing written yet" is observed
	// rather than hoped for: synctest.Wait returns once the writer is
	// blocked, which it is only when it has nothing left to do (gathering,
	// on its hour-long timer) or has written what it took.
	synctest.Test(t, testCapturesGatherUntilFlushInterval)
}

func testCapturesGatherUntilFlushInterval(t *testing.T) {
	// Captures are not waited for: with an hour-long interval nothing of
	// them is written until a Sync (or a row someone waits for) arrives.
	// (Without the row log: with it, nobody waits for the database, and
	// the captures go with the rows.)
	l, path := openTest(t, Options{FlushInterval: time.Hour, NoRowLog: true})
	const n = 50
	for i := range n {
		if err := l.CaptureAsync(record(i).ID, testCapture(i)); err != nil {
			t.Fatal(err)
		}
	}
	synctest.Wait() // the writer has done all it will before the interval
	if got := countRows(t, path, "captures"); got != 0 {
		t.Fatalf("%d captures written before the flush interval or a Sync", got)
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, path, "captures"); got != n {
		t.Fatalf("after Sync: %d captures, want %d", got, n)
	}
	if st := l.Stats(); st.Transactions != 1 {
		t.Errorf("Stats = %+v, want the %d captures in 1 transaction", st, n)
	}
	// A row someone waits for is committed without the captures queued
	// before it (they would make every request wait for the capture of
	// the one before it); a Sync, which promises everything queued
	// before it, takes them.
	for i := range n {
		if err := l.CaptureAsync(record(n+i).ID, testCapture(n+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Enqueue(record(2 * n)); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, path, "requests"); got != 1 {
		t.Errorf("after Enqueue: %d rows, want 1", got)
	}
	if got := countRows(t, path, "captures"); got != n {
		t.Errorf("after Enqueue: %d captures, want the %d not yet due left out", got, n)
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, path, "captures"); got != 2*n {
		t.Errorf("after Sync: %d captures, want %d", got, 2*n)
	}
}

func TestCapturesDueWhileRowsKeepComing(t *testing.T) {
	t.Parallel()
	// Requests finishing all the time make commits without the captures;
	// the captures must still be committed within the flush interval,
	// not starve behind the rows.
	l, path := openTest(t, Options{FlushInterval: 20 * time.Millisecond})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	var next atomic.Int64
	next.Store(1000)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := l.Enqueue(record(int(next.Add(1)))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	const n = 20
	for i := range n {
		if err := l.CaptureAsync(record(i).ID, testCapture(i)); err != nil {
			t.Fatal(err)
		}
	}
	testbin.WaitUntil(t, 10*time.Second, func() error {
		if got := countRows(t, path, "captures"); got != n {
			return fmt.Errorf("captures starved behind row commits: %d of %d written", got, n)
		}
		return nil
	})
}

func TestFillingQueueWakesWriter(t *testing.T) {
	t.Parallel()
	// The writer sleeps for the flush interval, but a queue filling up
	// with captures must not make CaptureAsync wait that long.
	l, path := openTest(t, Options{FlushInterval: time.Hour, QueueSize: 4})
	done := make(chan error, 1)
	go func() {
		for i := range 100 {
			if err := l.CaptureAsync(record(i).ID, testCapture(i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CaptureAsync blocked behind a sleeping writer with a full queue")
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, path, "captures"); got != 100 {
		t.Errorf("%d captures, want 100", got)
	}
}

func TestQueriesDoNotHangWhileWritesFail(t *testing.T) {
	fakeClockTest(t)
	t.Parallel()
	// In a synctest bubble: the query's bound (Options.ReadWait, its
	// default of 2s) and the writer's hour-long retry run on the bubble's
	// clock, and synctest.Wait says when every record has reached the
	// writer or the queue.
	synctest.Test(t, func(t *testing.T) {
		l, _ := openTest(t, Options{QueueSize: 1, RetryInterval: time.Hour, Logf: func(string, ...any) {}})
		mustCommit(t, l, record(0))
		setHook(l, func() error { return errors.New("disk on fire") })
		// Fill the writer's backlog to its bound, so it stops taking
		// records until the (hour-long) retry. The writer answers each
		// record it takes with the write error at once.
		errs := make(chan error, 8)
		for i := 1; i <= 8; i++ {
			go func() { errs <- l.Enqueue(record(i)) }()
		}
		synctest.Wait()
		if l.Healthy() == nil {
			t.Fatalf("writes never failed: %+v", l.Stats())
		}
		if len(errs) < l.maxBacklog() {
			t.Fatalf("the writer took %d records, want its backlog full (%d)", len(errs), l.maxBacklog())
		}
		start := time.Now()
		done := make(chan int, 1)
		go func() {
			rows, _ := l.Requests(context.Background(), Query{})
			done <- len(rows)
		}()
		select {
		case n := <-done:
			if n != 1 {
				t.Errorf("query saw %d rows, want the 1 committed", n)
			}
			if d := time.Since(start); d > DefaultReadWait {
				t.Errorf("query waited %v, want at most ReadWait (%v)", d, DefaultReadWait)
			}
		case <-time.After(time.Minute):
			t.Fatal("a query hung behind a failing writer")
		}
	})
}

func TestEnqueueFailsWhileWritesFail(t *testing.T) {
	t.Parallel()
	l, path := openTest(t, Options{RetryInterval: 5 * time.Millisecond, Logf: func(string, ...any) {}})
	diskErr := errors.New("disk on fire")
	var failing atomic.Bool
	failing.Store(true)
	setHook(l, func() error {
		if failing.Load() {
			return diskErr
		}
		return nil
	})
	// The caller learns at once that its row is not on the ledger, rather
	// than wait for the disk or be told it is.
	for i := range 3 {
		err := l.Enqueue(record(i))
		if !errors.Is(err, diskErr) {
			t.Fatalf("Enqueue while writes fail = %v, want the disk error", err)
		}
	}
	// The rows were kept, and are written once the disk recovers.
	failing.Store(false)
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if err := l.Healthy(); err != nil {
			return fmt.Errorf("ledger did not recover after the disk did: %w", err)
		}
		return nil
	})
	if err := l.Enqueue(record(3)); err != nil {
		t.Fatalf("Enqueue after recovery: %v", err)
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, path, "requests"); got != 4 {
		t.Errorf("%d rows after recovery, want 4", got)
	}
}

// The EnqueueWait tests run in synctest bubbles, so the default bound
// (30s) and the hour-long retries pass on the bubble's clock, and the
// time an Enqueue waited is exact.

func TestEnqueueWaitIsBounded(t *testing.T) {
	fakeClockTest(t)
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l, _ := openTest(t, Options{QueueSize: 2, RetryInterval: time.Hour, Logf: func(string, ...any) {}})
		setHook(l, func() error { return errors.New("disk on fire") })
		// One record first, so the writer has failed and waits for its
		// (hour-long) retry; then 14 against a queue of 2 and a backlog
		// of 8: the writer takes 7 more, answering each with the write
		// error, and no more, so the rest wait in or for the queue. Every
		// Enqueue must fail (no row is committed), none may wait past
		// EnqueueWait.
		start := time.Now()
		if err := l.Enqueue(record(0)); err == nil {
			t.Fatal("Enqueue succeeded while every write fails")
		}
		const n = 14
		errs := make(chan error, n)
		for i := range n {
			go func() { errs <- l.Enqueue(record(1 + i)) }()
		}
		for range n {
			select {
			case err := <-errs:
				if err == nil {
					t.Error("Enqueue succeeded while every write fails")
				}
			case <-time.After(time.Minute):
				t.Fatal("Enqueue hung behind a failing database")
			}
		}
		if d := time.Since(start); d != DefaultEnqueueWait {
			t.Errorf("the last Enqueue returned after %v, want EnqueueWait (%v)", d, DefaultEnqueueWait)
		}
	})
}

func TestEnqueueWaitOnStalledDiskIsBounded(t *testing.T) {
	fakeClockTest(t)
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l, path := openTest(t, Options{EnqueueWait: 3 * time.Second})
		release := make(chan struct{})
		setHook(l, func() error { <-release; return nil })
		// The writer hangs inside its transaction, as on a stalled disk.
		start := time.Now()
		err := l.Enqueue(record(1))
		if err == nil || !strings.Contains(err.Error(), "not committed within 3s") {
			t.Errorf("Enqueue on a stalled disk = %v, want a timeout after Options.EnqueueWait", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Enqueue waited %v for a stalled disk, want Options.EnqueueWait (3s)", d)
		}
		close(release)
		// The row was kept and is written once the disk moves again.
		if err := l.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := countRows(t, path, "requests"); got != 1 {
			t.Errorf("%d rows once the disk recovered, want 1", got)
		}
	})
}

func TestCapturesCommitWithinFlushInterval(t *testing.T) {
	t.Parallel()
	l, path := openTest(t, Options{FlushInterval: 5 * time.Millisecond})
	for i := range 3 {
		if err := l.CaptureAsync(record(i).ID, testCapture(i)); err != nil {
			t.Fatal(err)
		}
	}
	// No Sync, no Close, no waiter: the writer commits them on its own.
	testbin.WaitUntil(t, 10*time.Second, func() error {
		if st := l.Stats(); st.Transactions < 1 {
			return fmt.Errorf("queued captures not committed: %+v", st)
		}
		return nil
	})
	if got := countRows(t, path, "captures"); got != 3 {
		t.Errorf("%d captures, want 3", got)
	}
}

func TestQueriesReadTheirOwnWrites(t *testing.T) {
	t.Parallel()
	l, _ := openTest(t, Options{FlushInterval: time.Hour})
	ctx := context.Background()
	r := record(1)
	r.Capture = &Capture{RequestBody: []byte(`{"q":1}`), ResponseBody: []byte(`{"a":1}`)}
	r.CreatedResponse = "resp_1"
	// Queued with nobody waiting (as captures are): queries must still
	// see it.
	queueOnly(t, l, r)
	// StoredResponse is on the request path: it reads what is committed
	// and never forces a write (the gateway remembers recent owners).
	if p, err := l.StoredResponse(ctx, "resp_1"); err != nil || p.Principal != "" {
		t.Errorf("StoredResponse before the row is written = %+v, %v; want it not to wait", p, err)
	}
	rows, err := l.Requests(ctx, Query{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("Requests right after queuing = %d rows, %v; want the queued one", len(rows), err)
	}
	if c, err := l.Capture(ctx, r.ID); err != nil || string(c.ResponseBody) != `{"a":1}` {
		t.Errorf("Capture = %+v, %v", c, err)
	}
	u, err := l.Usage(ctx, UsageQuery{GroupBy: GroupByUser})
	if err != nil || len(u) != 1 {
		t.Errorf("Usage = %+v, %v", u, err)
	}
	if p, err := l.StoredResponse(ctx, "resp_1"); err != nil || p.Principal != r.Principal {
		t.Errorf("StoredResponse once written = %+v, %v", p, err)
	}
	// The gateway's way: the row committed, its capture queued after it.
	r2 := record(2)
	if err := l.Enqueue(r2); err != nil {
		t.Fatal(err)
	}
	if err := l.CaptureAsync(r2.ID, testCapture(2)); err != nil {
		t.Fatal(err)
	}
	if c, err := l.Capture(ctx, r2.ID); err != nil || string(c.ResponseBody) != `{"a":2}` {
		t.Errorf("Capture queued after its row = %+v, %v", c, err)
	}
}

func TestCommitIdempotent(t *testing.T) {
	t.Parallel()
	l, path := openTest(t, Options{})
	mustCommit(t, l, record(1))
	mustCommit(t, l, record(1))
	if got := countRows(t, path, "requests"); got != 1 {
		t.Errorf("%d rows after committing the same ID twice, want 1", got)
	}
}

func TestCommitRejectsRecordWithoutID(t *testing.T) {
	t.Parallel()
	l, _ := openTest(t, Options{})
	if err := l.Commit(context.Background(), &Record{}); err == nil {
		t.Error("Commit of a record without ID succeeded")
	}
	if err := l.Commit(context.Background(), nil); err == nil {
		t.Error("Commit(nil) succeeded")
	}
}

func TestQueueFullWaitsBoundedByContext(t *testing.T) {
	t.Parallel()
	l, path := openTest(t, Options{QueueSize: 1})
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	setHook(l, func() error { entered <- struct{}{}; <-release; return nil })

	var wg sync.WaitGroup
	wg.Go(func() { mustCommit(t, l, record(1)) })
	<-entered // the writer is inside a transaction with record 1
	wg.Go(func() { mustCommit(t, l, record(2)) })
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if st := l.Stats(); st.Queued != 1 {
			return fmt.Errorf("record 2 not queued behind the writer: %+v", st)
		}
		return nil
	})
	// The queue is full: this Commit must wait, and give up with its ctx.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := l.Commit(ctx, record(3))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Commit with a full queue = %v, want DeadlineExceeded", err)
	}
	close(release)
	wg.Wait()
	if got := countRows(t, path, "requests"); got != 2 {
		t.Errorf("%d rows, want 2 (records 1 and 2)", got)
	}
}

func TestDiskFailureAndRecovery(t *testing.T) {
	t.Parallel()
	logs := &quietLogs{}
	l, path := openTest(t, Options{RetryInterval: 5 * time.Millisecond, Logf: logs.Logf})
	mustCommit(t, l, record(0))
	if err := l.Healthy(); err != nil {
		t.Fatalf("Healthy before failure: %v", err)
	}

	diskErr := errors.New("disk I/O error (injected)")
	var failing atomic.Bool
	failing.Store(true)
	setHook(l, func() error {
		if failing.Load() {
			return diskErr
		}
		return nil
	})

	// Commits fail loudly rather than hang or pretend.
	for i := 1; i <= 3; i++ {
		err := l.Commit(context.Background(), record(i))
		if !errors.Is(err, diskErr) {
			t.Fatalf("Commit during failure = %v, want the disk error", err)
		}
	}
	if err := l.Healthy(); !errors.Is(err, diskErr) {
		t.Fatalf("Healthy during failure = %v, want the disk error", err)
	}
	// The writer retries in the background (every 5 ms), on its own.
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if f := l.Stats().Failures; f < 2 {
			return fmt.Errorf("Failures = %d, want retries in the background", f)
		}
		return nil
	})

	failing.Store(false)
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if err := l.Healthy(); err != nil {
			return fmt.Errorf("ledger did not recover after the disk did: %w", err)
		}
		return nil
	})
	mustCommit(t, l, record(4))
	// The records refused during the failure were kept and written.
	if got := countRows(t, path, "requests"); got != 5 {
		t.Errorf("%d rows after recovery, want 5", got)
	}
	var failLogs, recoverLogs int
	for _, line := range logs.Lines() {
		switch {
		case strings.Contains(line, "FAILING"):
			failLogs++
		case strings.Contains(line, "recovered"):
			recoverLogs++
		}
	}
	if failLogs != 1 || recoverLogs != 1 {
		t.Errorf("logged %d failure and %d recovery lines, want one each: %q", failLogs, recoverLogs, logs.Lines())
	}
}

func TestCloseDuringFailureReportsError(t *testing.T) {
	t.Parallel()
	l, err := OpenURL(newTarget(t), Options{RetryInterval: time.Hour, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	diskErr := errors.New("read-only file system (injected)")
	setHook(l, func() error { return diskErr })
	if err := l.Commit(context.Background(), record(1)); !errors.Is(err, diskErr) {
		t.Fatalf("Commit = %v, want disk error", err)
	}
	if err := l.Close(); !errors.Is(err, diskErr) {
		t.Errorf("Close = %v, want the unwritten records' error", err)
	}
}

// The child half of TestDurabilitySIGKILL: commit rows, say so the
// moment the last call returns, and wait to be killed.
func TestDurabilityChild(t *testing.T) {
	if os.Getenv("LEDGER_CHILD") != "1" {
		t.Skip("helper process for TestDurabilitySIGKILL")
	}
	k, _ := strconv.Atoi(os.Getenv("LEDGER_K"))
	// An hour-long flush interval: only what a caller waited for can be
	// committed before the kill. And an hour-long index interval: the
	// Enqueued rows are only in the row log (SQLite), which the next Open
	// must replay.
	l, err := OpenURL(os.Getenv("LEDGER_PATH"), Options{FlushInterval: time.Hour, IndexInterval: time.Hour})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(1)
	}
	var failed atomic.Bool
	run := func(from, to int, f func(*Record) error) {
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			wg.Go(func() {
				if err := f(record(i)); err != nil {
					failed.Store(true)
				}
			})
		}
		wg.Wait()
	}
	// Half the records confirmed with Commit, then the other half the way
	// the gateway writes them, all at once (sharing commits): nothing
	// after the Enqueues would flush them.
	run(0, k/2, func(r *Record) error { return l.Commit(context.Background(), r) })
	run(k/2, k, l.Enqueue)
	if failed.Load() {
		fmt.Println("commit failed")
		os.Exit(1)
	}
	fmt.Println("committed")
	time.Sleep(time.Minute) // killed long before (a minute is only the bound); never Close
	os.Exit(2)
}

func TestDurabilitySIGKILL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns a process")
	}
	const k = 300
	path := newTarget(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityChild$")
	cmd.Env = append(os.Environ(), "LEDGER_CHILD=1", "LEDGER_PATH="+path, "LEDGER_K="+strconv.Itoa(k))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	committed := false
	for sc.Scan() {
		if sc.Text() == "committed" {
			committed = true
			break
		}
		t.Logf("child: %s", sc.Text())
	}
	// SIGKILL at once: no Close, no checkpoint, no deferred flush.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if !committed {
		t.Fatal("child did not report its commits")
	}
	if !onPostgres() {
		if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
			t.Logf("note: WAL file %v, %v", fi, err)
		}
		// The Enqueued rows are in the log (the Committed may be too:
		// the segment appended to outlives an index round).
		var enqueued []string
		for i := k / 2; i < k; i++ {
			enqueued = append(enqueued, record(i).ID)
		}
		if ids := loggedIDs(t, path); !containsAll(ids, enqueued...) {
			t.Errorf("row log after the kill holds %d rows, not all the %d Enqueued", len(ids), k/2)
		}
	}
	l, err := OpenURL(path, Options{Logf: t.Logf})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer l.Close()
	rows, err := l.Requests(context.Background(), Query{Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != k {
		t.Fatalf("%d rows survived SIGKILL, want all %d", len(rows), k)
	}
	seen := make(map[string]bool)
	for _, r := range rows {
		seen[r.ID] = true
	}
	for i := range k {
		if !seen[record(i).ID] {
			t.Errorf("row %s lost", record(i).ID)
		}
	}
	if !onPostgres() {
		if got := loggedIDs(t, path); len(got) != 0 {
			t.Errorf("the replayed segments were not removed: %d rows left", len(got))
		}
	}
}

func BenchmarkCommitParallel(b *testing.B) {
	l, _ := openTest(b, Options{Logf: func(string, ...any) {}})
	var next atomic.Int64
	r0 := record(0)
	// Many requests finish at once in a busy gateway: 8 committers per
	// CPU show the group commit at work.
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := *r0
			r.ID = "bench-" + strconv.FormatInt(next.Add(1), 10)
			if err := l.Commit(context.Background(), &r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := l.Stats()
	if st.Transactions > 0 {
		b.ReportMetric(float64(st.Rows)/float64(st.Transactions), "rows/tx")
	}
}

// TestPooledTimerHasNoStaleTick: Enqueue reuses its wait's timer; one that
// fired unread before it was put back must not wake the next wait at
// once (it would fail a commit as "not committed within" immediately),
// and must be armed for the next wait's bound (or a stalled disk would
// hold the request forever).
func TestPooledTimerHasNoStaleTick(t *testing.T) {
	var tp timerPool
	for range 10 {
		tm := tp.get(time.Nanosecond)
		time.Sleep(2 * time.Millisecond) // fired, not read
		tp.put(tm)
		next := tp.get(time.Hour)
		select {
		case <-next.C:
			t.Fatal("a reused timer delivered the previous wait's tick")
		case <-time.After(5 * time.Millisecond):
		}
		tp.put(next)
		// And a reused timer is armed for the new wait: it fires.
		short := tp.get(time.Millisecond)
		select {
		case <-short.C:
		case <-time.After(5 * time.Second):
			t.Fatal("a reused timer never fired: it was not reset")
		}
		tp.put(short)
	}
}
