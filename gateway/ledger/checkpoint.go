package ledger

import (
	"context"
	"database/sql"
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
	// commitGate) at least once every this long, sooner once the WAL
	// file outgrows walLimit, and as soon as the indexer has been idle
	// for a poll with something written since the last checkpoint.
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
// index rounds no index commit can come, so a checkpoint lets the WAL
// start over, and it holds at most 5 s of commits, or walLimit and a
// poll's worth: unless a read still needs older frames, or another
// writer (quota balances, purges, the config's history, export marks, a
// second gateway on the file) commits during the checkpoint; then the
// WAL starts over after a later one.
var defaultCheckpointTiming = checkpointTiming{
	poll:     250 * time.Millisecond,
	every:    5 * time.Second,
	walLimit: 32 << 20,
}

// checkpointer runs WAL checkpoints until Close, on a connection of its
// own, so that it does not compete with the indexer for the pool's
// (checkpoint says why that matters). The checkpoints are passive:
// they never wait on a reader or for SQLite's write lock. With a row
// log they wait for the index round in progress (commitGate); without
// one they run beside the writer, whose commits requests wait for.
func (l *Ledger) checkpointer(cc *checkpointConn) {
	c := l.opts.checkpoint
	every := c.poll
	if l.rows == nil {
		every = passiveCheckpointInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	defer cc.close()
	var due checkpointDue
	due.last = time.Now()
	var retryAt time.Time // after a failed checkpoint
	for {
		select {
		case <-l.stop:
			// The last, full checkpoint is start's, once the indexer
			// has committed its last rows.
			return
		case now := <-t.C:
			if l.rows == nil {
				l.checkpoint(cc, nil)
				continue
			}
			if now.Before(retryAt) || !due.now(now, c, l.txCount.Load(), l.walSize()) {
				continue
			}
			if tx, size, ran := l.checkpoint(cc, &l.commitGate); ran {
				due.done(now, tx, size)
			} else if l.ckptHealth.Load() != nil {
				// Failing (a slow or failing disk, another checkpointer):
				// not again at every poll, each holding the indexer up.
				retryAt = now.Add(c.every)
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

// checkpointConn is the checkpointer's own connection, taken before the
// indexer starts (openCheckpointConn), or when first needed if that
// failed.
type checkpointConn struct{ c *sql.Conn }

// openCheckpointConn takes the checkpointer's connection from the pool,
// which nothing else uses yet.
func (l *Ledger) openCheckpointConn() *checkpointConn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := l.db.db.Conn(ctx)
	if err != nil {
		l.logf("ledger: checkpoint: %v", err)
		return &checkpointConn{}
	}
	return &checkpointConn{c: c}
}

func (cc *checkpointConn) close() {
	if cc.c != nil {
		cc.c.Close()
		cc.c = nil
	}
}

// checkpoint copies what the WAL holds into the database file, as far
// as no reader still needs it, holding gate (if not nil) while it does.
// It returns the write transactions committed and the WAL file's size as
// of the checkpoint, both read under gate, so that a round waiting on
// the gate counts as after it; ran is false if it did not run.
//
// A connection it has just taken from the pool (openCheckpointConn
// failed) may be the one the indexer gave back (an aged or broken one)
// while holding gate, about to wait for another: then it does not wait
// for gate but gives the connection back and tries again at the next
// poll. The connection it has is kept, errors or not: it is to a local
// file, and the indexer's share of the pool must not be contended.
func (l *Ledger) checkpoint(cc *checkpointConn, gate *sync.Mutex) (tx, walSize int64, ran bool) {
	fresh := cc.c == nil
	if fresh {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := l.db.db.Conn(ctx)
		cancel()
		if err != nil {
			l.logf("ledger: checkpoint: %v", err)
			return 0, 0, false
		}
		cc.c = c
	}
	if gate != nil {
		if !fresh {
			gate.Lock()
		} else if !gate.TryLock() {
			cc.close()
			return 0, 0, false
		}
		defer gate.Unlock()
	}
	// The timeout starts once the gate is held: a long index round (a
	// replay at start) is not the checkpoint's time.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var busy, frames, copied int64
	var err error
	if h := l.hookCheckpoint.Load(); h != nil {
		err = (*h)()
	}
	if err == nil {
		err = cc.c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	}
	tx, walSize = l.txCount.Load(), l.walSize()
	if err == nil && (busy != 0 || frames < 0) {
		// Another connection or process is checkpointing (a second
		// gateway on the file, an operator's sqlite3): SQLite answers
		// (1, -1, -1) without doing anything. Again at the next poll.
		return tx, walSize, false
	}
	l.noteCheckpoint(err)
	if err != nil {
		return tx, walSize, false
	}
	l.ckptCount.Add(1)
	l.walFrames.Store(frames)
	l.walUncopied.Store(frames - copied)
	return tx, walSize, true
}

// noteCheckpoint logs the first of a run of failed checkpoints, and the
// first that works after them.
func (l *Ledger) noteCheckpoint(err error) {
	if err == nil {
		if old := l.ckptHealth.Swap(nil); old != nil {
			l.logf("ledger: checkpoints work again (were failing: %v)", *old)
		}
		return
	}
	if old := l.ckptHealth.Swap(&err); old == nil {
		l.logf("ledger: checkpoint of %s failed; until one works, %s-wal is not copied back into the database and grows (check that disk's space and health): %v",
			l.path, l.path, err)
	}
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
