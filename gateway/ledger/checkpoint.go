package ledger

import (
	"context"
	"os"
	"sync"
	"time"
)

// checkpointTiming says when the checkpointer copies the WAL back into
// the database file.
type checkpointTiming struct {
	// poll is how often it looks, with a row log. Without one (the
	// writer's commits are what requests wait for) it checkpoints every
	// passiveCheckpointInterval beside the writer instead.
	poll time.Duration
	// With a row log, it checkpoints between two index rounds (holding
	// commitGate) at most every, sooner once the WAL file outgrows
	// walLimit, and as soon as the indexer has been idle for a poll
	// with something written since the last checkpoint.
	every time.Duration
	// walLimit is also SQLite's journal_size_limit: the first commit
	// after the WAL starts over cuts the file back to it, so a file
	// larger than walLimit holds more than walLimit of frames.
	walLimit int64
}

// passiveCheckpointInterval is how often the WAL is checkpointed beside
// a writer that commits each group of rows itself (no row log: SyncFull,
// NoRowLog), whose commits requests wait for: not longer, because a
// passive checkpoint beside a steady writer rarely lets the WAL start
// over (below), and the more it copies the rarer that is.
const passiveCheckpointInterval = 500 * time.Millisecond

// defaultCheckpointTiming (issue #16; BENCHMARKS.md has the
// measurements). Every 500 ms, a passive checkpoint beside the indexer
// took ~10% of the gateway's CPU under load: each one rewrote the pages
// every commit touches (each index's newest leaf, the table's) and
// synced both files. Checkpointing less often beside a steady writer is
// not possible: a passive checkpoint lets the next commit start the WAL
// over only if no commit came while it ran, and every 5 s that never
// happened (the WAL grew by every commit, 580 MB in 90 s). Between two
// index rounds no commit can come, so every checkpoint lets the WAL
// start over, and it holds at most 5 s of commits, or walLimit and a
// poll's worth.
var defaultCheckpointTiming = checkpointTiming{
	poll:     250 * time.Millisecond,
	every:    5 * time.Second,
	walLimit: 32 << 20,
}

// checkpointer runs WAL checkpoints on a connection of its own until
// Close. They are passive: they never wait on the writer or a reader,
// so a commit that clients wait on never pays for one.
func (l *Ledger) checkpointer() {
	c := l.opts.checkpoint
	every := c.poll
	if l.rows == nil {
		every = passiveCheckpointInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var due checkpointDue
	due.last = time.Now()
	for {
		select {
		case <-l.stop:
			// A last full checkpoint leaves the data in the main file.
			l.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
			return
		case now := <-t.C:
			if l.rows == nil {
				l.checkpoint(nil)
				continue
			}
			if due.now(now, c, l.txCount.Load(), l.walSize()) {
				l.checkpoint(&l.commitGate)
				due.done(now, l.txCount.Load(), l.walSize())
			}
		}
	}
}

// checkpointDue decides, poll by poll, when a checkpoint between index
// rounds is due (checkpointTiming).
type checkpointDue struct {
	last      time.Time // the last checkpoint
	txAtLast  int64     // write transactions by then
	sizeAtEnd int64     // the WAL file's size right after it
	txAtPoll  int64     // write transactions at the last poll
}

// now reports whether a checkpoint is due at now, given the write
// transactions committed so far and the WAL file's size.
func (d *checkpointDue) now(now time.Time, c checkpointTiming, tx, walSize int64) bool {
	written := tx != d.txAtLast
	idle := tx == d.txAtPoll
	d.txAtPoll = tx
	switch {
	case now.Sub(d.last) >= c.every:
		// Even with no index round since: other writes (purges, the
		// dashboard's) go to the WAL too.
		return true
	case written && idle:
		// The gateway went quiet: leave the database file whole.
		return true
	default:
		// Grown past the limit since the last checkpoint cut it back.
		return walSize > c.walLimit && walSize != d.sizeAtEnd
	}
}

// done records a checkpoint that ended with tx write transactions
// committed and the WAL file walSize long.
func (d *checkpointDue) done(at time.Time, tx, walSize int64) {
	d.last, d.txAtLast, d.txAtPoll, d.sizeAtEnd = at, tx, tx, walSize
}

// checkpoint copies what the WAL holds into the database file, as far
// as no reader still needs it, holding gate (if not nil) while it does:
// only then, once it has a connection, so that a pool the dashboard's
// queries fill holds up the checkpoint, never the indexer.
func (l *Ledger) checkpoint(gate *sync.Mutex) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := l.db.db.Conn(ctx)
	if err != nil {
		l.logf("ledger: checkpoint: %v", err)
		return
	}
	defer c.Close()
	if gate != nil {
		gate.Lock()
		defer gate.Unlock()
	}
	var busy, frames, copied int64
	if err := c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		l.logf("ledger: checkpoint: %v", err)
		return
	}
	l.ckptCount.Add(1)
	l.ckptFrames.Add(copied)
}

// walSize is the size of the database's WAL file, 0 if it has none.
func (l *Ledger) walSize() int64 {
	fi, err := os.Stat(l.path + "-wal")
	if err != nil {
		// None yet, or unreadable: the time rules still hold.
		return 0
	}
	return fi.Size()
}
