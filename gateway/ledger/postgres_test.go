package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/pgtest"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// Replicas starting at once on a new database all open it: one creates
// the schema, the others wait for it (the migration lock) and find it
// done, rather than failing on a table another is creating.
func TestPostgresConcurrentOpeners(t *testing.T) {
	postgresOnly(t)
	t.Parallel()
	for round := range 3 {
		target := newTarget(t)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				l, err := OpenPostgres(target, Options{Logf: t.Logf})
				if err != nil {
					errs[i] = err
					return
				}
				mustCommit(t, l, record(round*n+i))
				errs[i] = l.Close()
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: opener %d: %v", round, i, err)
			}
		}
		db := rawConn(t, target)
		var rows, version int
		if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version); err != nil {
			t.Fatal(err)
		}
		if rows != 1 || version != len(pgMigrations) {
			t.Errorf("round %d: schema_version has %d rows, version %d; want 1 row, %d", round, rows, version, len(pgMigrations))
		}
		if got := countRows(t, target, "requests"); got != n {
			t.Errorf("round %d: %d rows, want one per opener (%d)", round, got, n)
		}
		db.Close()
	}
}

// The server going away makes Commit and Enqueue fail within
// EnqueueWait, never hang; Healthy and Ping say so; Close returns.
func TestPostgresServerGone(t *testing.T) {
	postgresOnly(t)
	t.Parallel()
	srv := pgtest.Start(t, pgtest.Options{})
	const wait = 3 * time.Second
	l, err := OpenPostgres(srv.NewDatabase(t), Options{EnqueueWait: wait, RetryInterval: 50 * time.Millisecond, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, l, record(0))
	srv.Stop()

	start := time.Now()
	if err := l.Commit(context.Background(), record(1)); err == nil {
		t.Error("Commit succeeded with the server gone")
	}
	if d := time.Since(start); d > wait {
		t.Errorf("Commit took %v to fail, more than EnqueueWait (%v)", d, wait)
	}
	start = time.Now()
	if err := l.Enqueue(record(2)); err == nil {
		t.Error("Enqueue succeeded with the server gone")
	}
	if d := time.Since(start); d > wait+time.Second {
		t.Errorf("Enqueue took %v to fail, more than EnqueueWait (%v)", d, wait)
	}
	if l.Healthy() == nil {
		t.Error("Healthy = nil with the server gone")
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := l.Ping(ctx); err == nil || !strings.Contains(err.Error(), "postgres database unreachable") {
		t.Errorf("Ping = %v, want unreachable", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err == nil {
			t.Error("Close = nil with records unwritten")
		}
	case <-time.After(2 * wait):
		t.Fatal("Close hangs with the server gone")
	}
}

// A server that stops answering (here: a table locked by another
// session) fails the writes within the bounds, by the server's
// statement_timeout or, failing that, by the writer's own deadline
// (EnqueueWait); and once it answers again the rows kept queued are
// written and the ledger is healthy.
func TestPostgresStalledServerIsBounded(t *testing.T) {
	postgresOnly(t)
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"statement timeout", Options{StatementTimeout: 300 * time.Millisecond, EnqueueWait: 10 * time.Second}},
		{"writer deadline", Options{StatementTimeout: time.Hour, EnqueueWait: 1 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.RetryInterval = 50 * time.Millisecond
			l, target := openTest(t, tt.opts)
			mustCommit(t, l, record(0))

			locker := rawConn(t, target)
			tx, err := locker.db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tx.Rollback() }) // before the ledger's Close
			if _, err := tx.Exec(`LOCK TABLE requests IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := l.Enqueue(record(1)); err == nil {
				t.Error("Enqueue succeeded on a locked table")
			}
			if d := time.Since(start); d > tt.opts.EnqueueWait+time.Second {
				t.Errorf("Enqueue took %v, want at most EnqueueWait (%v)", d, tt.opts.EnqueueWait)
			}
			// The writer itself is not stuck: its transaction was
			// abandoned, and it says the database is failing.
			testbin.WaitUntil(t, 5*time.Second, func() error {
				if l.Healthy() == nil {
					return errors.New("Healthy = nil while every write times out")
				}
				return nil
			})
			tx.Rollback()
			if err := l.Sync(context.Background()); err != nil {
				testbin.WaitUntil(t, 10*time.Second, func() error { return l.Sync(context.Background()) })
			}
			mustCommit(t, l, record(2))
			if l.Healthy() != nil {
				t.Errorf("Healthy = %v after the server answers again", l.Healthy())
			}
			if got := countRows(t, target, "requests"); got != 3 {
				t.Errorf("%d rows after recovery, want 3 (the refused one kept queued)", got)
			}
		})
	}
}

// Connections the server drops (a restart, a failover, an idle timeout
// on the way) cost at most a retry: the pool opens new ones.
func TestPostgresConnectionsDropped(t *testing.T) {
	postgresOnly(t)
	t.Parallel()
	l, target := openTest(t, Options{RetryInterval: 20 * time.Millisecond})
	mustCommit(t, l, record(0))
	admin := rawConn(t, target)
	var killed int
	if err := admin.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no ledger connection to drop")
	}
	// The writer keeps its connection between writes, out of the pool's
	// ping (pgx checks a connection idle for over a second as the pool
	// hands it out): the write after the drop must still succeed at
	// once, on a fresh connection, and the ledger never turn unhealthy
	// (which refuses every metered request).
	time.Sleep(1500 * time.Millisecond)
	mustCommit(t, l, record(1))
	if err := l.Healthy(); err != nil {
		t.Errorf("Healthy after a dropped connection = %v", err)
	}
	if n := l.Stats().Failures; n != 0 {
		t.Errorf("%d failed writes after a dropped connection, want 0", n)
	}
	testbin.WaitUntil(t, 10*time.Second, func() error { return l.Sync(context.Background()) })
	mustCommit(t, l, record(2))
	if got := countRows(t, target, "requests"); got != 3 {
		t.Errorf("%d rows, want 3", got)
	}
	if err := l.Ping(context.Background()); err != nil {
		t.Errorf("Ping after reconnecting: %v", err)
	}
}

// Two replicas' writers commit one at a time, so requests.seq is commit
// order and an exporter never moves past a row still being committed:
// while replica A's transaction (holding a seq) is open, replica B's
// row must not become visible ahead of it.
func TestPostgresCommitOrderAcrossReplicas(t *testing.T) {
	postgresOnly(t)
	t.Parallel()
	a, target := openTest(t, Options{})
	b := openAt(t, target, Options{})
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	setHook(a, func() error { once.Do(func() { close(held) }); <-release; return nil })
	aDone := make(chan error, 1)
	go func() { aDone <- a.Commit(context.Background(), record(1)) }()
	select {
	case <-held: // A has inserted its row and not committed
	case err := <-aDone:
		t.Fatalf("replica A's Commit = %v before its transaction was held", err)
	}
	bDone := make(chan error, 1)
	go func() { bDone <- b.Commit(context.Background(), record(2)) }()
	select {
	case err := <-bDone:
		t.Errorf("replica B committed (%v) while A's earlier transaction was open", err)
		bDone <- err
	case <-time.After(300 * time.Millisecond):
	}
	ctx := context.Background()
	if through, _, n, err := b.NextExportBatch(ctx, 0, 10, time.Time{}); err != nil || n != 0 {
		t.Errorf("export batch with A's row uncommitted = through %d, %d rows, %v; want none", through, n, err)
	}
	close(release)
	for _, ch := range []chan error{aDone, bDone} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	_, id, n, err := b.NextExportBatch(ctx, 0, 10, time.Time{})
	if err != nil || n != 2 || id != record(2).ID {
		t.Errorf("export batch = %d rows through %s, %v; want both, A's first", n, id, err)
	}
}

// Two exporters (one per replica) cannot both plan from the same
// position: the second sees the position moved.
func TestPostgresExportPlanIsExclusive(t *testing.T) {
	postgresOnly(t)
	t.Parallel()
	a, target := openTest(t, Options{})
	b := openAt(t, target, Options{})
	for i := range 4 {
		mustCommit(t, a, record(i))
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		l := a
		if i%2 == 1 {
			l = b
		}
		// Each plans a batch of its own (as replicas that read the rows
		// at different moments would), from the same position.
		through := int64(1 + i%4)
		wg.Go(func() {
			errs[i] = l.PlanExport(ctx, "s3", ExportBatch{After: 0, Through: through, ThroughID: record(int(through) - 1).ID,
				Records: int(through), Object: fmt.Sprintf("o%d", i), ObjectUnix: 1})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d exporters planned a batch from one position, want exactly 1 (the others would upload the same rows again): %v", ok, errs)
	}
}

// The ledger's sessions run with DefaultStatementTimeout, unless the URL
// sets its own.
func TestPostgresStatementTimeout(t *testing.T) {
	postgresOnly(t)
	t.Parallel()
	target := newTarget(t)
	for _, tt := range []struct{ url, want string }{
		{target, "10s"},
		{target + "&statement_timeout=2500", "2500ms"},
	} {
		l := openAt(t, tt.url, Options{})
		var got string
		if err := l.DB().QueryRow(`SHOW statement_timeout`).Scan(&got); err != nil || got != tt.want {
			t.Errorf("statement_timeout = %q, %v; want %s", got, err, tt.want)
		}
	}
}
