package configsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/pgtest"
)

// propagationBound is the bound: a config saved on any replica
// applies on all within 2 s.
const propagationBound = 2 * time.Second

// replica is a Syncer under test with the versions its apply received.
type replica struct {
	*Syncer
	applied chan Version
	mu      sync.Mutex
	fail    error // what apply answers
}

func newReplica(t *testing.T, dsn, name string, poll time.Duration) *replica {
	t.Helper()
	s, err := New(Options{DSN: dsn, Origin: name, PollInterval: poll, Logf: func(f string, a ...any) { t.Logf(name+": "+f, a...) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &replica{Syncer: s, applied: make(chan Version, 16)}
}

func (r *replica) apply(v Version) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied <- v
	return r.fail
}

func (r *replica) setFail(err error) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

func (r *replica) start(t *testing.T, local string) Version {
	t.Helper()
	v, err := r.Start(context.Background(), []byte(local), r.apply)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (r *replica) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitApplied returns the next version apply received, failing the test
// if none comes within the bound.
func (r *replica) waitApplied(t *testing.T, within time.Duration) Version {
	t.Helper()
	select {
	case v := <-r.applied:
		return v
	case <-time.After(within):
		t.Fatalf("no version applied within %v", within)
		return Version{}
	}
}

func (r *replica) noneApplied(t *testing.T) {
	t.Helper()
	select {
	case v := <-r.applied:
		t.Fatalf("applied version %d, want none", v.Seq)
	default:
	}
}

// waitListening waits until the replica's listener is connected.
func (r *replica) waitListening(t *testing.T) uint32 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if pid := r.listenerPID.Load(); pid != 0 {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("listener never connected")
	return 0
}

const (
	seedText = `{"providers": {"a": {"apikey": "env:A_KEY"}}}`
	nextText = `{"providers": {"a": {"apikey": "env:A_KEY"}, "b": {"apikey": "file:/etc/aperture/b"}}}`
)

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSaveReachesOtherReplica: a save on A is applied by B within the
// bound, through the notification (B's poll is an hour), and A does not
// apply its own save a second time.
func TestSaveReachesOtherReplica(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := newReplica(t, dsn, "a", time.Hour), newReplica(t, dsn, "b", time.Hour)
	if v := a.start(t, seedText); v.Seq != 1 {
		t.Fatalf("seeded version %d, want 1", v.Seq)
	}
	if v := b.start(t, seedText); v.Seq != 1 {
		t.Fatalf("b runs version %d, want 1", v.Seq)
	}
	a.noneApplied(t) // the same text as the file: nothing to apply
	b.noneApplied(t)
	a.run(t)
	b.run(t)
	a.waitListening(t)
	b.waitListening(t)

	saved, err := a.Save(context.Background(), []byte(nextText), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := b.waitApplied(t, propagationBound)
	t.Logf("applied on b %v after the save", time.Since(start))
	if got.Seq != saved.Seq || string(got.Text) != nextText || got.Author != "alice@example.com" || got.Hash != saved.Hash {
		t.Fatalf("b applied %+v, want version %d", got, saved.Seq)
	}
	if b.Running().Seq != saved.Seq || a.Running().Seq != saved.Seq {
		t.Fatalf("running: a %d, b %d, want %d", a.Running().Seq, b.Running().Seq, saved.Seq)
	}
	// A heard its own notification too; give it time to (wrongly) apply.
	time.Sleep(300 * time.Millisecond)
	a.noneApplied(t)
}

// TestLostNotificationCaughtUp: B's listener connection is killed and the
// save happens while it is away, so its notification is lost; B finds
// the version when it reconnects (its poll is an hour, so not by polling).
func TestLostNotificationCaughtUp(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := newReplica(t, dsn, "a", time.Hour), newReplica(t, dsn, "b", time.Hour)
	a.start(t, seedText)
	b.start(t, seedText)
	away, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.beforeReconnect = func() { once.Do(func() { close(away); <-resume }) }
	b.run(t)
	pid := b.waitListening(t)

	var ok bool
	if err := openDB(t, dsn).QueryRow("SELECT pg_terminate_backend($1)", int64(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminating b's listener: %v %v", ok, err)
	}
	<-away
	saved, err := a.Save(context.Background(), []byte(nextText), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	close(resume)
	if got := b.waitApplied(t, propagationBound); got.Seq != saved.Seq {
		t.Fatalf("b applied version %d, want %d", got.Seq, saved.Seq)
	}
}

// TestPollCatchesUp: B's listener can never connect; the poll alone
// brings it the saved version.
func TestPollCatchesUp(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := newReplica(t, dsn, "a", time.Hour), newReplica(t, dsn, "b", 100*time.Millisecond)
	a.start(t, seedText)
	b.start(t, seedText)
	b.connCfg.Database = "no_such_database"
	b.run(t)
	saved, err := a.Save(context.Background(), []byte(nextText), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.waitApplied(t, propagationBound); got.Seq != saved.Seq {
		t.Fatalf("b applied version %d, want %d", got.Seq, saved.Seq)
	}
	if b.listenerPID.Load() != 0 {
		t.Fatal("the listener connected; the test does not test the poll")
	}
}

// TestConcurrentFirstStart: replicas starting at once on an empty
// database seed it exactly once; every other one applies that version.
func TestConcurrentFirstStart(t *testing.T) {
	dsn := pgtest.Database(t)
	const n = 6
	rs := make([]*replica, n)
	for i := range rs {
		rs[i] = newReplica(t, dsn, fmt.Sprint("r", i), time.Hour)
	}
	vs := make([]Version, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			local := fmt.Sprintf(`{"providers": {"p%d": {"apikey": "env:K"}}}`, i)
			vs[i], errs[i] = r.Start(context.Background(), []byte(local), r.apply)
		})
	}
	wg.Wait()
	var rows int
	if err := openDB(t, dsn).QueryRow("SELECT count(*) FROM aperture_config").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d versions after %d first starts, want 1", rows, n)
	}
	appliedBy := 0
	for i, r := range rs {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if vs[i].Seq != 1 {
			t.Errorf("replica %d runs version %d, want 1", i, vs[i].Seq)
		}
		select {
		case v := <-r.applied:
			appliedBy++
			if v.Seq != 1 {
				t.Errorf("replica %d applied version %d", i, v.Seq)
			}
		default:
		}
	}
	if appliedBy != n-1 {
		t.Errorf("%d replicas applied the seed, want %d (all but the seeder)", appliedBy, n-1)
	}
}

// TestSaveConflict: a replica that does not run the latest version cannot
// save over it.
func TestSaveConflict(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := newReplica(t, dsn, "a", time.Hour), newReplica(t, dsn, "b", time.Hour)
	a.start(t, seedText)
	b.start(t, seedText)
	if _, err := a.Save(context.Background(), []byte(nextText), "alice"); err != nil {
		t.Fatal(err)
	}
	_, err := b.Save(context.Background(), []byte(seedText+" "), "bob")
	var ce *ConflictError
	if !errors.Is(err, ErrConflict) || !errors.As(err, &ce) || ce.Latest.Seq != 2 || ce.Latest.Author != "alice" {
		t.Fatalf("b's save over version 2: %v", err)
	}
}

// TestFailedApply: a version this replica cannot apply is reported by
// LastError and not retried by every poll; the next version is applied.
func TestFailedApply(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := newReplica(t, dsn, "a", time.Hour), newReplica(t, dsn, "b", 50*time.Millisecond)
	a.start(t, seedText)
	b.start(t, seedText)
	b.setFail(errors.New("environment variable B_KEY is not set"))
	b.run(t)
	if _, err := a.Save(context.Background(), []byte(nextText), "alice"); err != nil {
		t.Fatal(err)
	}
	b.waitApplied(t, propagationBound)
	if seq, err := b.LastError(); seq != 2 || err == nil || b.Running().Seq != 1 {
		t.Fatalf("LastError %d %v, running %d; want 2, the error, 1", seq, err, b.Running().Seq)
	}
	if seq, err := b.Status(); seq != 1 || err == nil {
		t.Fatalf("Status %d %v, want 1 and the error", seq, err)
	}
	time.Sleep(300 * time.Millisecond) // several polls
	b.noneApplied(t)
	b.setFail(nil)
	if _, err := a.Save(context.Background(), []byte(seedText), "alice"); err != nil {
		t.Fatal(err)
	}
	if v := b.waitApplied(t, propagationBound); v.Seq != 3 {
		t.Fatalf("applied %d, want 3", v.Seq)
	}
	if seq, err := b.LastError(); seq != 0 || err != nil {
		t.Fatalf("LastError after catching up: %d %v", seq, err)
	}
}
