package ledger

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// purgeChunk bounds the captures deleted per transaction, so a large purge
// never holds the write lock long enough to stall group commits.
const purgeChunk = 1000

// purger runs PurgeCaptures at start and then every PurgeInterval until
// Close.
func (l *Ledger) purger() {
	t := time.NewTicker(l.opts.PurgeInterval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
			cancel() // let Close interrupt a long purge
		case <-ctx.Done():
		}
	}()
	for {
		if n, err := l.PurgeCaptures(ctx); err != nil && ctx.Err() == nil {
			l.logf("ledger: purge captures: %v", err)
		} else if n > 0 {
			l.logf("ledger: purged %d expired captures", n)
		}
		select {
		case <-t.C:
		case <-l.stop:
			return
		}
	}
}

// PurgeCaptures deletes the captures that database.retention says have
// expired and returns how many. Metric rows in requests are never deleted:
// the config only offers "captures" (and "tools", of which the ledger
// stores none yet) as purge targets, and dashboards and billing need every
// row. With require_export only captures marked by MarkExported go.
func (l *Ledger) PurgeCaptures(ctx context.Context) (int64, error) {
	r := l.retention.Load()
	if r == nil || r.Forever || !slices.Contains(r.Purge, "captures") {
		return 0, nil
	}
	cutoff := l.now().Add(-r.Period).UnixNano()
	q := l.db.d.purge
	if r.RequireExport {
		q = l.db.d.purgeExported
	}
	var total int64
	for {
		res, err := l.db.ExecContext(ctx, q, cutoff, purgeChunk)
		if err != nil {
			return total, fmt.Errorf("purge captures older than %s: %w", r.Period, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge captures: %w", err)
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}
