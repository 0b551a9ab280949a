package quotas

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// sweepLockKey is the advisory lock one sweeper at a time holds, for the
// length of its transaction.
const sweepLockKey int64 = 0x71756f7461730002 // "quotas" 2

// HoldRelease is a hold the sweeper released because its replica stopped
// renewing it (it died, or could not settle): its money was kept charged,
// since the request may have spent it upstream. An operator reviews these
// and refunds what was not spent (Refill).
type HoldRelease struct {
	Hold       string    `json:"hold"`
	Replica    string    `json:"replica"` // that made the hold
	Amount     int64     `json:"amount_nanos"`
	Buckets    []string  `json:"buckets"`
	Created    time.Time `json:"created"`
	Renewed    time.Time `json:"renewed"` // last renewal
	Released   time.Time `json:"released"`
	ReleasedBy string    `json:"released_by"` // the replica whose sweeper released it
	// Settled is when a settlement came after the release, refunding
	// Amount minus Cost (zero when none came).
	Settled time.Time `json:"settled,omitzero"`
	Cost    int64     `json:"cost_nanos,omitempty"`
}

// failedSettle is a settlement the database refused, to try again.
type failedSettle struct {
	id     string
	actual int64
	since  time.Time
}

// track adds hold id to those this replica renews.
func (s *sharedStore) track(id string) {
	s.mu.Lock()
	s.open[id] = struct{}{}
	s.mu.Unlock()
}

// untrack stops renewing hold id.
func (s *sharedStore) untrack(id string) {
	s.mu.Lock()
	delete(s.open, id)
	s.mu.Unlock()
}

// retryLater queues a failed settlement. The hold is not renewed
// meanwhile: if the database stays away, the sweeper releases it.
func (s *sharedStore) retryLater(id string, actual int64) {
	s.mu.Lock()
	s.retries = append(s.retries, failedSettle{id: id, actual: actual, since: time.Now()})
	s.mu.Unlock()
}

// retrySettles tries the queued settlements again; one that keeps failing
// is given up after twice the hold timeout (its hold, released by then,
// stays charged). It returns why some are still queued.
func (s *sharedStore) retrySettles() error {
	s.mu.Lock()
	todo := s.retries
	s.retries = nil
	s.mu.Unlock()
	var keep []failedSettle
	var errs []error
	for _, f := range todo {
		err := s.settleHold(f.id, f.actual)
		switch {
		case err == nil:
		case time.Since(f.since) > 2*s.holdTimeout:
			slog.Error("quota hold never settled; it stays charged in full", "hold", f.id, "cost", f.actual, "err", err)
		default:
			keep = append(keep, f)
			errs = append(errs, err)
		}
	}
	if len(keep) > 0 {
		s.mu.Lock()
		s.retries = append(s.retries, keep...)
		s.mu.Unlock()
		return fmt.Errorf("%d quota settlements still to retry: %w", len(keep), errors.Join(errs...))
	}
	return nil
}

// run renews this replica's holds, retries failed settlements and sweeps
// every renewEvery until ctx ends, then retries the settlements once more.
// Holds still open then stay charged until a sweeper releases them.
func (s *sharedStore) run(ctx context.Context) error {
	t := time.NewTicker(s.renewEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return s.retrySettles()
		case <-t.C:
			s.tick(ctx)
		}
	}
}

// tick is one round of run; failures are logged and retried next round.
func (s *sharedStore) tick(ctx context.Context) {
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := s.renew(c); err != nil {
		slog.Warn("quota holds not renewed; will retry", "err", err)
	}
	if err := s.retrySettles(); err != nil {
		slog.Warn("quota settlements failed again; will retry", "err", err)
	}
	if _, err := s.sweep(c); err != nil {
		slog.Warn("quota hold sweep failed; will retry", "err", err)
	}
}

// renew marks this replica's open holds alive. Rows are locked in id
// order, as the sweeper locks them, so the two never deadlock.
func (s *sharedStore) renew(ctx context.Context) error {
	s.mu.Lock()
	ids := slices.Collect(maps.Keys(s.open))
	s.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE quota_holds SET renewed = now() WHERE id IN (
		SELECT id FROM quota_holds WHERE id = ANY($1) AND replica = $2 ORDER BY id FOR UPDATE)`, ids, s.replica)
	if err != nil {
		return unavailable(fmt.Sprintf("renewing %d holds", len(ids)), err)
	}
	return nil
}

// sweep releases the holds nobody renewed for holdTimeout (by the
// database's clock): it deletes them and lowers their buckets' reserved
// amounts without refunding, and records each release. One sweeper runs
// at a time; the others skip. It returns the releases.
func (s *sharedStore) sweep(ctx context.Context) ([]HoldRelease, error) {
	now := s.now()
	defs, configured := s.definitions()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, unavailable("sweeping holds", err)
	}
	defer tx.Rollback()
	var mine bool
	if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, sweepLockKey).Scan(&mine); err != nil {
		return nil, unavailable("sweeping holds", err)
	}
	if !mine {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM quota_holds WHERE id IN (
			SELECT id FROM quota_holds WHERE renewed < now() - make_interval(secs => $1) ORDER BY id FOR UPDATE)
		RETURNING id, replica, amount, to_json(buckets)::text, created, renewed, now()`, s.holdTimeout.Seconds())
	if err != nil {
		return nil, unavailable("sweeping holds", err)
	}
	var out []HoldRelease
	for rows.Next() {
		var r HoldRelease
		var js string
		if err := rows.Scan(&r.Hold, &r.Replica, &r.Amount, &js, &r.Created, &r.Renewed, &r.Released); err != nil {
			rows.Close()
			return nil, unavailable("sweeping holds", err)
		}
		if r.Buckets, err = parseNames(js); err != nil {
			rows.Close()
			return nil, err
		}
		// On the clock refill uses (this replica's), as a late settle
		// compares it with a calendar period's start.
		r.Released = now
		r.ReleasedBy = s.replica
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("sweeping holds", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	held := map[string]int64{}
	for _, r := range out {
		for _, b := range r.Buckets {
			held[b] = SatAdd(held[b], r.Amount)
		}
	}
	bs, err := s.lockRows(ctx, tx, slices.Sorted(maps.Keys(held)))
	if err != nil {
		return nil, unavailable("sweeping holds", err)
	}
	for _, b := range bs {
		revise(b, b.def, defs, configured, now) // while the holds still count
		b.reserved -= held[b.name]
	}
	if _, err := tx.ExecContext(ctx, writeBuckets, bucketArgs(bs)...); err != nil {
		return nil, unavailable("sweeping holds", err)
	}
	for _, r := range out {
		if _, err := tx.ExecContext(ctx, `INSERT INTO quota_hold_releases
			(hold, replica, amount, buckets, created, renewed, released, released_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.Hold, r.Replica, r.Amount, r.Buckets, r.Created, r.Renewed, r.Released, r.ReleasedBy); err != nil {
			return nil, unavailable("recording a released hold", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, unavailable("sweeping holds", err)
	}
	for _, r := range out {
		slog.Warn("quota hold released unrenewed; its money stays charged", "hold", r.Hold, "replica", r.Replica,
			"amount", FormatDollars(r.Amount), "buckets", r.Buckets, "renewed", r.Renewed)
	}
	return out, nil
}

// HoldReleases returns the last limit holds the sweeper released, newest
// first, for an operator to see what was kept charged. It returns nothing
// when the balances are in memory, where holds die with the process.
func (m *Manager) HoldReleases(limit int) ([]HoldRelease, error) {
	if m.shared == nil || limit <= 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := m.shared.db.QueryContext(ctx, `SELECT hold, replica, amount, to_json(buckets)::text, created, renewed,
			released, released_by, settled, coalesce(cost, 0)
		FROM quota_hold_releases ORDER BY released DESC, hold LIMIT $1`, limit)
	if err != nil {
		return nil, unavailable("reading released holds", err)
	}
	defer rows.Close()
	var out []HoldRelease
	for rows.Next() {
		var r HoldRelease
		var js string
		var settled *time.Time
		if err := rows.Scan(&r.Hold, &r.Replica, &r.Amount, &js, &r.Created, &r.Renewed, &r.Released, &r.ReleasedBy, &settled, &r.Cost); err != nil {
			return nil, unavailable("reading released holds", err)
		}
		if settled != nil {
			r.Settled = *settled
		}
		if r.Buckets, err = parseNames(js); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("reading released holds", err)
	}
	return out, nil
}
