package ledger

import (
	"context"
	"time"
)

// checkpointInterval is how often the WAL is copied back into the
// database file. Each checkpoint rewrites every page changed since the
// last one (the table's and each index's newest pages change with every
// commit, so they are rewritten at every checkpoint) and syncs both
// files. Every 500 ms, the checkpointer took a tenth of the gateway's CPU
// under load; every 5 s, under 3%, and the gateway's CPU per request fell
// 7-12% (issue #16, BENCHMARKS.md "checkpoint"). The WAL grows meanwhile,
// to about 10 MB at thousands of requests a second (6 MB before: a
// passive checkpoint under a steady writer seldom lets it restart).
const checkpointInterval = 5 * time.Second

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
