package ledger

import (
	"context"
	"time"
)

// checkpointInterval is how often the WAL is copied back into the
// database file. Not longer: a passive checkpoint lets the next writer
// start the WAL over only if no commit came while it ran, and under a
// steady writer a checkpoint of 5 s of pages never found such a moment:
// the WAL grew by every commit, 580 MB in 90 s at 3,700 rows a second
// (every 500 ms: 10-26 MB; TestWALStaysBoundedUnderSteadyWrites, with
// TSPLUG_LONG_TESTS=1). Every 5 s would save the gateway 7-12% of its
// CPU under load (issue #16, BENCHMARKS.md "late night"), but needs a
// checkpoint that makes the WAL restart (RESTART or TRUNCATE, which hold
// off the indexer meanwhile), not measured yet.
const checkpointInterval = 500 * time.Millisecond

// checkpointer runs passive WAL checkpoints on a connection of its own
// until Close. A passive checkpoint never blocks the writer, so a commit
// that clients wait on is never the one that pays for a checkpoint; with
// one writer it keeps up, so the WAL stays small.
func (l *Ledger) checkpointer() {
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			// A last full checkpoint leaves the data in the main file.
			l.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if _, err := l.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				l.logf("ledger: checkpoint: %v", err)
			}
			cancel()
		}
	}
}
