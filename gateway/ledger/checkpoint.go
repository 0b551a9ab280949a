package ledger

import (
	"context"
	"time"
)

// checkpointInterval is how often the WAL is copied back into the
// database file.
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
