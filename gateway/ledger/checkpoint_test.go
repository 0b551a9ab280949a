package ledger

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
)

func TestCheckpointDue(t *testing.T) {
	c := checkpointTiming{poll: time.Second, every: 5 * time.Second, walLimit: 1000}
	t0 := time.Unix(1e9, 0)
	// Each case starts from a checkpoint at t0, after 10 transactions,
	// that left the WAL file sizeAtEnd bytes long (800 unless given),
	// and one poll since that saw pollTx transactions.
	for _, tc := range []struct {
		name      string
		sizeAtEnd int64
		pollTx    int64
		after     time.Duration
		tx        int64
		walSize   int64
		want      bool
	}{
		{"nothing written, quiet", 0, 10, time.Second, 10, 800, false},
		{"writing, WAL small", 0, 11, 2 * time.Second, 12, 900, false},
		{"the interval is up, writing", 0, 11, 5 * time.Second, 12, 900, true},
		{"the interval is up, nothing written (other writers)", 0, 10, 5 * time.Second, 10, 800, true},
		{"written, then quiet for a poll", 0, 12, 2 * time.Second, 12, 900, true},
		{"written before the checkpoint only", 0, 10, 2 * time.Second, 10, 900, false},
		{"past the limit, still writing", 0, 11, 2 * time.Second, 12, 1001, true},
		{"at the limit", 0, 11, 2 * time.Second, 12, 1000, false},
		// The WAL has not started over since (no round yet, or a
		// reader): the file is as the last checkpoint left it.
		{"past the limit since the checkpoint, unchanged", 5000, 11, 2 * time.Second, 12, 5000, false},
		{"past the limit since the checkpoint, grown", 5000, 11, 2 * time.Second, 12, 5100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d checkpointDue
			d.done(t0, 10, cmp.Or(tc.sizeAtEnd, 800))
			d.txAtPoll = tc.pollTx
			if got := d.now(t0.Add(tc.after), c, tc.tx, tc.walSize); got != tc.want {
				t.Errorf("due = %v, want %v", got, tc.want)
			}
		})
	}
}

// steadyWriter enqueues batches of rows into l every few milliseconds
// until stop is closed.
func steadyWriter(t *testing.T, l *Ledger, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; {
			select {
			case <-stop:
				return
			default:
			}
			for range 20 {
				r := record(i)
				r.ID = fmt.Sprintf("ckpt-%09d", i)
				if err := l.Enqueue(r); err != nil {
					t.Error(err)
					return
				}
				i++
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	return &wg
}

// TestCheckpointsLetTheWALStartOver writes steadily through the row log
// and checks that the WAL starts over after every checkpoint: each one
// runs between two index rounds, so it copies every frame and the next
// round starts the WAL from its beginning. A passive checkpoint beside
// the indexer often overlaps a commit, and the WAL then grows by every
// commit until one does not (without the gate: 2-5 restarts in 8-9
// checkpoints, and a WAL three times as large).
func TestCheckpointsLetTheWALStartOver(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	// Polls longer than an index round (10 ms), as in the gateway, so
	// that the writer never looks idle; a size limit never reached.
	l, path := openTest(t, Options{checkpoint: checkpointTiming{poll: 50 * time.Millisecond, every: 300 * time.Millisecond, walLimit: 1 << 30}})
	stop := make(chan struct{})
	wg := steadyWriter(t, l, stop)
	// Until 8 checkpoints (about 3 s; longer under -race on a slow
	// machine).
	for end := time.Now().Add(30 * time.Second); l.Stats().Checkpoints < 8 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	// Counted now: checkpoints after the writer stops (the 5 s rule,
	// on a slow machine) have no round after them.
	checkpoints := l.Stats().Checkpoints
	close(stop)
	wg.Wait()
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	restarts := walRestarts(t, path)
	st := l.Stats()
	t.Logf("%d rows, %d checkpoints, %d WAL restarts, %d frames in the WAL at the last", st.Rows, st.Checkpoints, restarts, st.WALFrames)
	if checkpoints < 8 || st.WALFrames == 0 {
		t.Fatalf("checkpoints while writing: %d, frames at the last: %d", checkpoints, st.WALFrames)
	}
	// The last checkpoint may have no round after it.
	if restarts < int(checkpoints)-1 {
		t.Errorf("the WAL started over %d times after %d checkpoints", restarts, checkpoints)
	}
	if st.WALFramesUncopied != 0 {
		t.Errorf("%d frames left uncopied with no reader", st.WALFramesUncopied)
	}
}

// TestWALFileIsCutBackAfterABurst checks that a WAL file a burst of
// writes made larger than the limit is cut back to it once the WAL
// starts over (journal_size_limit), so that a checkpoint due for its
// size is due again only when the WAL holds that much anew.
func TestWALFileIsCutBackAfterABurst(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	const limit = 64 << 10
	l, _ := openTest(t, Options{checkpoint: checkpointTiming{poll: 20 * time.Millisecond, every: 100 * time.Millisecond, walLimit: limit}})
	ctx := context.Background()
	// A burst, until one leaves the WAL file well past the limit (a
	// checkpoint during it may start the WAL over and cut it back).
	var burst int64
	for i := 0; burst <= 2*limit; i++ {
		if i == 10 {
			t.Fatalf("ten bursts never left a WAL of more than %d bytes", 2*limit)
		}
		for j := range 3000 {
			r := record(j)
			r.ID = fmt.Sprintf("burst-%d-%d", i, j)
			if err := l.Enqueue(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		burst = l.walSize()
	}
	// A checkpoint after the burst; the next commit starts the WAL
	// over, and cuts the file back.
	n := l.Stats().Checkpoints
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if l.Stats().Checkpoints == n {
			return fmt.Errorf("no checkpoint since the burst")
		}
		return nil
	})
	if err := l.Enqueue(record(3000)); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := l.walSize(); got > limit {
		t.Errorf("after a %d-byte burst, the WAL file is %d bytes; want at most %d", burst, got, limit)
	}
}

// TestWALSizeThroughASymlink opens the ledger through a symbolic link:
// SQLite keeps the WAL beside the file the link points to, and the size
// rule must find it there.
func TestWALSizeThroughASymlink(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real.db")
	link := filepath.Join(dir, "link.db")
	if err := os.WriteFile(real, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Skip(err)
	}
	l := openAt(t, link, Options{checkpoint: checkpointTiming{every: time.Hour, poll: time.Hour}})
	for i := range 100 {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(real + "-wal"); err != nil {
		t.Fatalf("no WAL beside the link's target: %v", err)
	}
	if got := l.walSize(); got == 0 {
		t.Errorf("walSize is 0 through the link; the WAL is beside %s", real)
	}
}

// TestCheckpointWhenTheGatewayGoesQuiet checks that rows written and
// then left alone are copied into the database file within a few polls,
// not at the next interval: a gateway that goes quiet leaves its
// database whole.
func TestCheckpointWhenTheGatewayGoesQuiet(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	l, _ := openTest(t, Options{checkpoint: checkpointTiming{poll: 10 * time.Millisecond, every: time.Hour, walLimit: 1 << 30}})
	if n := l.Stats().Checkpoints; n != 0 {
		t.Fatalf("%d checkpoints before any row", n)
	}
	for i := range 50 {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if st := l.Stats(); st.Checkpoints == 0 || st.WALFrames == 0 || st.WALFramesUncopied != 0 {
			return fmt.Errorf("not checkpointed yet: %+v", st)
		}
		return nil
	})
}

// walRestarts is how many times the WAL of the database at path started
// over: the checkpoint sequence number in its header (bytes 12-15, big
// endian), which each restart increments.
func walRestarts(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h [16]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		t.Fatal(err)
	}
	return int(binary.BigEndian.Uint32(h[12:]))
}

// fillPool takes every connection of l's pool that is free and returns
// them.
func fillPool(t *testing.T, l *Ledger) []*sql.Conn {
	t.Helper()
	var held []*sql.Conn
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		c, err := l.DB().Conn(ctx)
		cancel()
		if err != nil {
			return held
		}
		held = append(held, c)
	}
}

// TestAFullPoolHoldsNobodyUp fills the ledger's connection pool (as the
// dashboard's queries might) while checkpoints are due every few
// milliseconds, and checks that rows still reach the database. The
// indexer writes on a connection of its own (sqliteConn) and the
// checkpointer keeps one from the start; when the indexer still took
// its connection from the pool, one aged out while readers held the
// rest made it wait for a connection, holding the gate (found by a
// review), and a checkpointer that waited for a pooled connection could
// be handed the one the indexer gave back, then wait for the gate the
// indexer held while the indexer waited for a connection.
func TestAFullPoolHoldsNobodyUp(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("pool filled before the first checkpoint: %v", late), func(t *testing.T) {
			poll := 5 * time.Millisecond
			if late {
				// The pool is full before the checkpointer's first poll.
				poll = 100 * time.Millisecond
			}
			l, _ := openTest(t, Options{checkpoint: checkpointTiming{poll: poll, every: poll, walLimit: 1 << 30}})
			ctx := context.Background()
			// The indexer takes its connection with its first round.
			if err := l.Enqueue(record(0)); err != nil {
				t.Fatal(err)
			}
			if err := l.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			held := fillPool(t, l)
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			time.Sleep(2 * poll) // checkpoints are due meanwhile
			synced := make(chan error, 1)
			go func() {
				for i := 1; i <= 3; i++ {
					if err := l.Enqueue(record(i)); err != nil {
						synced <- err
						return
					}
					if err := l.Sync(ctx); err != nil {
						synced <- err
						return
					}
				}
				synced <- nil
			}()
			select {
			case err := <-synced:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("rows waited 5 s for the database while the pool was full: the checkpointer held the indexer up")
			}
		})
	}
}

// TestUncopiedFramesShowAReaderHoldingTheWAL checks the gauge that tells
// an operator a reader keeps the WAL from being copied back (and from
// starting over): a read transaction left open while rows are written.
func TestUncopiedFramesShowAReaderHoldingTheWAL(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	l, _ := openTest(t, Options{checkpoint: checkpointTiming{poll: 10 * time.Millisecond, every: 20 * time.Millisecond, walLimit: 1 << 30}})
	ctx := context.Background()
	if err := l.Enqueue(record(0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	tx := holdSnapshot(t, l.DB())
	for i := 1; i <= 200; i++ {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if st := l.Stats(); st.WALFramesUncopied == 0 {
			return fmt.Errorf("no uncopied frames reported (%d in the WAL)", st.WALFrames)
		}
		return nil
	})
	tx.Rollback()
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if st := l.Stats(); st.WALFramesUncopied != 0 {
			return fmt.Errorf("%d frames still uncopied after the reader left", st.WALFramesUncopied)
		}
		return nil
	})
}

// TestCheckpointOnAFreshConnectionDoesNotWaitForTheGate checks the
// fallback for a checkpointer that could not take its connection at
// start: on a connection just taken from the pool it only tries the
// gate, and gives the connection back if the indexer holds it.
func TestCheckpointOnAFreshConnectionDoesNotWaitForTheGate(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	l, _ := openTest(t, Options{checkpoint: checkpointTiming{poll: time.Hour, every: time.Hour}})
	var gate sync.Mutex
	gate.Lock()
	var cc checkpointConn
	done := make(chan bool, 1)
	go func() {
		_, _, ran := l.checkpoint(&cc, &gate)
		done <- ran
	}()
	select {
	case ran := <-done:
		if ran || cc.c != nil {
			t.Fatalf("with the gate held: ran %v, connection kept %v", ran, cc.c != nil)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a checkpoint on a fresh connection waited for the gate")
	}
	gate.Unlock()
	if _, _, ran := l.checkpoint(&cc, &gate); !ran || cc.c == nil {
		t.Fatalf("with the gate free: ran %v, connection kept %v", ran, cc.c != nil)
	}
	cc.close()
}

// TestABusyCheckpointIsNotCounted has another connection hold SQLite's
// checkpoint lock (as a second gateway on the file, or an operator's
// sqlite3, may), so that a checkpoint answers (1, -1, -1) without doing
// anything: it is not counted, and leaves the gauges alone.
func TestABusyCheckpointIsNotCounted(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	l, path := openTest(t, Options{checkpoint: checkpointTiming{poll: time.Hour, every: time.Hour}})
	ctx := context.Background()
	enqueue := func(from, to int) {
		for i := from; i < to; i++ {
			if err := l.Enqueue(record(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	enqueue(0, 50)
	var cc checkpointConn
	defer cc.close()
	if _, _, ran := l.checkpoint(&cc, &l.commitGate); !ran {
		t.Fatal("the first checkpoint did not run")
	}
	before := l.Stats()
	// A reader behind the WAL's end, and beside it a TRUNCATE
	// checkpoint that holds the checkpoint lock while its busy handler
	// waits for the reader.
	other := func() *sql.DB {
		db, err := sql.Open("sqlite", sqliteURI(path)+"?_pragma=busy_timeout(3000)&_pragma=wal_autocheckpoint(0)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	holdSnapshot(t, other())
	enqueue(50, 100)
	go other().Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	time.Sleep(500 * time.Millisecond)
	if _, _, ran := l.checkpoint(&cc, &l.commitGate); ran {
		t.Error("a checkpoint that could not take the lock says it ran")
	}
	if after := l.Stats(); after.Checkpoints != before.Checkpoints || after.WALFrames != before.WALFrames || after.WALFramesUncopied != before.WALFramesUncopied {
		t.Errorf("a busy checkpoint changed the stats: %+v, then %+v", before, after)
	}
}

// TestFailingCheckpointsBackOff has every checkpoint fail, as on a
// failing disk, while rows keep coming: they are tried again once an
// interval, not at every poll (each holds the indexer up), the failure
// is logged once, and the recovery once.
func TestFailingCheckpointsBackOff(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	var logs logRecorder
	l, _ := openTest(t, Options{Logf: logs.logf, checkpoint: checkpointTiming{poll: 5 * time.Millisecond, every: 300 * time.Millisecond, walLimit: 1 << 30}})
	var tries atomic.Int64
	fail := func() error { tries.Add(1); return errors.New("disk on fire") }
	l.hookCheckpoint.Store(&fail)
	stop := make(chan struct{})
	wg := steadyWriter(t, l, stop)
	time.Sleep(time.Second)
	l.hookCheckpoint.Store(nil)
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if l.Stats().Checkpoints == 0 {
			return fmt.Errorf("no checkpoint since the disk recovered")
		}
		return nil
	})
	close(stop)
	wg.Wait()
	// One a second at most, and the first: about 4 (200 at every poll).
	if n := tries.Load(); n > 6 {
		t.Errorf("%d failing checkpoints in a second", n)
	}
	failed, recovered := logs.count("failed; until one works"), logs.count("checkpoints work again")
	if failed != 1 || recovered != 1 {
		t.Errorf("logged %d failures and %d recoveries, want 1 and 1:\n%s", failed, recovered, logs.String())
	}
}

// holdSnapshot begins a read transaction on db and reads in it, so that
// it holds a snapshot of the database (and of the WAL's frames so far)
// until it is rolled back, at the latest when the test ends.
func holdSnapshot(t *testing.T, db *sql.DB) *sql.Tx {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return tx
}

// The child half of TestCheckpointsSurviveSIGKILL: rows enqueued without
// pause while checkpoints run every few milliseconds and the WAL, past a
// small limit, starts over and is cut back again and again; each row's
// number is printed once Enqueue has returned (it is promised), until
// the process is killed.
func TestCheckpointKillChild(t *testing.T) {
	if os.Getenv("LEDGER_CKPT_CHILD") != "1" {
		t.Skip("helper process for TestCheckpointsSurviveSIGKILL")
	}
	l, err := OpenURL(os.Getenv("LEDGER_PATH"), Options{checkpoint: checkpointTiming{poll: 2 * time.Millisecond, every: 5 * time.Millisecond, walLimit: 64 << 10}})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(1)
	}
	from, _ := strconv.Atoi(os.Getenv("LEDGER_FROM"))
	for i := from; ; i++ {
		if err := l.Enqueue(record(i)); err != nil {
			fmt.Println("enqueue failed:", err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// TestCheckpointsSurviveSIGKILL kills a process writing through a ledger
// whose checkpoints run every few milliseconds (and whose WAL keeps
// starting over and being cut back), several times at different moments,
// each time reopening the database: it must open, pass SQLite's
// integrity check, and hold every row whose Enqueue had returned.
func TestCheckpointsSurviveSIGKILL(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := newTarget(t)
	next := 0
	for round, after := range []time.Duration{50, 130, 210, 290, 370} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillChild$")
		cmd.Env = append(os.Environ(), "LEDGER_CKPT_CHILD=1", "LEDGER_PATH="+path, "LEDGER_FROM="+strconv.Itoa(next))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		promised := -1
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		deadline := time.After(10 * time.Second)
		killAt := time.After(after * time.Millisecond)
		for killed := false; !killed; {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("round %d: the child stopped by itself", round)
				}
				n, err := strconv.Atoi(line)
				if err != nil {
					t.Fatalf("round %d: child: %s", round, line)
				}
				promised = n
			case <-killAt:
				if promised < next+100 {
					killAt = time.After(10 * time.Millisecond) // not writing yet
					continue
				}
				cmd.Process.Kill()
				killed = true
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("round %d: no rows from the child in 10 s", round)
			}
		}
		for range lines { // let the reader finish; rows up to promised are checked
		}
		cmd.Wait()
		l, err := OpenURL(path, Options{Logf: t.Logf})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		// The rows the kill left in the row log are committed first.
		if err := l.Sync(context.Background()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var check string
		if err := l.DB().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, check, err)
		}
		var got int
		if err := l.DB().QueryRow("SELECT COUNT(*) FROM requests WHERE id >= ? AND id <= ?", record(next).ID, record(promised).ID).Scan(&got); err != nil {
			t.Fatal(err)
		}
		l.Close()
		if want := promised - next + 1; got < want {
			t.Fatalf("round %d: %d of the %d promised rows survived", round, got, want)
		}
		t.Logf("round %d: killed after %d promised rows; all there", round, promised-next+1)
		next = promised + 1000 // past anything unprinted the child may have written
	}
}
