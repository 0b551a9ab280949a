package ledger

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
)

func TestCheckpointDue(t *testing.T) {
	c := checkpointTiming{poll: time.Second, every: 5 * time.Second, walLimit: 1000}
	t0 := time.Unix(1e9, 0)
	// Each case starts from a checkpoint at t0, after 10 transactions,
	// that left the WAL file 800 bytes long, and one poll since that saw
	// pollTx transactions.
	for _, tc := range []struct {
		name    string
		pollTx  int64
		after   time.Duration
		tx      int64
		walSize int64
		want    bool
	}{
		{"nothing written, quiet", 10, time.Second, 10, 800, false},
		{"writing, WAL small", 11, 2 * time.Second, 12, 900, false},
		{"the interval is up, writing", 11, 5 * time.Second, 12, 900, true},
		{"the interval is up, nothing written (other writers)", 10, 5 * time.Second, 10, 800, true},
		{"written, then quiet for a poll", 12, 2 * time.Second, 12, 900, true},
		{"written before the checkpoint only", 10, 2 * time.Second, 10, 900, false},
		{"past the limit, still writing", 11, 2 * time.Second, 12, 1001, true},
		{"at the limit", 11, 2 * time.Second, 12, 1000, false},
		{"past the limit since before the checkpoint, unchanged", 11, 2 * time.Second, 12, 800, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d checkpointDue
			d.done(t0, 10, 800)
			if tc.name == "past the limit since before the checkpoint, unchanged" {
				d.done(t0, 10, 5000)
				tc.walSize = 5000
			}
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
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	restarts := walRestarts(t, path)
	st := l.Stats()
	t.Logf("%d rows, %d checkpoints copied %d pages, %d WAL restarts", st.Rows, st.Checkpoints, st.CheckpointedPages, restarts)
	if st.Checkpoints < 5 || st.CheckpointedPages == 0 {
		t.Fatalf("checkpoints: %d, pages copied: %d", st.Checkpoints, st.CheckpointedPages)
	}
	// The last checkpoint may have no round after it.
	if restarts < int(st.Checkpoints)-1 {
		t.Errorf("the WAL started over %d times after %d checkpoints", restarts, st.Checkpoints)
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
	l, _ := openTest(t, Options{checkpoint: checkpointTiming{poll: 20 * time.Millisecond, every: time.Hour, walLimit: limit}})
	for i := range 3000 {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	burst := l.walSize()
	if burst <= 2*limit {
		t.Fatalf("the burst left a WAL of %d bytes; the test needs more than %d", burst, 2*limit)
	}
	// Quiet now: a checkpoint comes; the next commit starts the WAL
	// over, and cuts the file back.
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if l.Stats().Checkpoints == 0 {
			return fmt.Errorf("no checkpoint yet")
		}
		return nil
	})
	if err := l.Enqueue(record(3000)); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := l.walSize(); got > limit {
		t.Errorf("after a %d-byte burst, the WAL file is %d bytes; want at most %d", burst, got, limit)
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
	before := l.Stats().CheckpointedPages
	for i := range 50 {
		if err := l.Enqueue(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if got := l.Stats().CheckpointedPages; got == before {
			return fmt.Errorf("no pages checkpointed yet")
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

// TestCheckpointWaitingForAConnectionHoldsNobodyUp fills the ledger's
// connection pool (as the dashboard's queries might) while checkpoints
// are due, and checks that rows still reach the database: the
// checkpointer takes a connection before it shuts out the indexer, not
// after.
func TestCheckpointWaitingForAConnectionHoldsNobodyUp(t *testing.T) {
	if onPostgres() {
		t.Skip("SQLite's WAL")
	}
	l, _ := openTest(t, Options{checkpoint: checkpointTiming{poll: 5 * time.Millisecond, every: 5 * time.Millisecond, walLimit: 1 << 30}})
	ctx := context.Background()
	// The indexer takes its connection with its first round.
	if err := l.Enqueue(record(0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var held []*sql.Conn
	for len(held) < maxConns-1 {
		c, err := l.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// Checkpoints are due every poll, each waiting for a connection.
	time.Sleep(50 * time.Millisecond)
	synced := make(chan error, 1)
	go func() {
		if err := l.Enqueue(record(1)); err != nil {
			synced <- err
			return
		}
		synced <- l.Sync(ctx)
	}()
	select {
	case err := <-synced:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a row waited 5 s for the database while the pool was full: the checkpointer held the indexer up")
	}
}
