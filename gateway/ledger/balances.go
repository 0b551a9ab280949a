package ledger

import (
	"context"
	"fmt"
	"time"
)

// Balance is the persisted state of one quota bucket: its balance in
// nanodollars as of Updated. The quota manager refills from Updated on
// load, so a restart neither loses spending nor grants free refill.
type Balance struct {
	Nanos   int64
	Updated time.Time
}

// LoadBalances returns every persisted quota bucket, keyed by bucket name.
func (l *Ledger) LoadBalances() (map[string]Balance, error) {
	ctx, cancel := l.bounded(context.Background())
	defer cancel()
	rows, err := l.db.QueryContext(ctx,
		`SELECT bucket, balance_nanos, updated FROM quota_balances`)
	if err != nil {
		return nil, fmt.Errorf("load quota balances: %w", err)
	}
	defer rows.Close()
	out := make(map[string]Balance)
	for rows.Next() {
		var name string
		var nanos, updated int64
		if err := rows.Scan(&name, &nanos, &updated); err != nil {
			return nil, fmt.Errorf("load quota balances: %w", err)
		}
		out[name] = Balance{Nanos: nanos, Updated: time.Unix(0, updated).UTC()}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load quota balances: %w", err)
	}
	return out, nil
}

// SaveBalances writes the buckets in m (inserting or overwriting) in one
// transaction. Buckets not in m are left alone, so the quota manager may
// save only those that changed; DeleteBalances removes buckets whose
// quota definition was deleted.
func (l *Ledger) SaveBalances(m map[string]Balance) error {
	if len(m) == 0 {
		return nil
	}
	ctx, cancel := l.bounded(context.Background())
	defer cancel()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save quota balances: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO quota_balances (bucket, balance_nanos, updated)
		VALUES (?, ?, ?) ON CONFLICT(bucket) DO UPDATE SET
		balance_nanos = excluded.balance_nanos, updated = excluded.updated`)
	if err != nil {
		return fmt.Errorf("save quota balances: %w", err)
	}
	defer stmt.Close()
	for name, b := range m {
		if _, err := stmt.ExecContext(ctx, name, b.Nanos, b.Updated.UnixNano()); err != nil {
			return fmt.Errorf("save quota balance %q: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save quota balances: %w", err)
	}
	return nil
}

// DeleteBalances removes the named buckets (their quota definitions were
// deleted).
func (l *Ledger) DeleteBalances(names ...string) error {
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := l.bounded(context.Background())
	defer cancel()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete quota balances: %w", err)
	}
	defer tx.Rollback()
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DELETE FROM quota_balances WHERE bucket = ?`, name); err != nil {
			return fmt.Errorf("delete quota balance %q: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete quota balances: %w", err)
	}
	return nil
}

// bounded gives ctx a deadline of Options.EnqueueWait on PostgreSQL when
// it has none, so that a caller without one (the quota manager) never
// waits forever on a stalled server. SQLite's waits are bounded by
// busy_timeout already.
func (l *Ledger) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || l.writeTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, l.writeTimeout)
}
