package quotas

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// insertHold writes the charged rows (writeBuckets, $1 to $13) and the
// hold ($14 to $17) in one statement.
const insertHold = `WITH w AS (` + writeBuckets + `)
	INSERT INTO quota_holds (id, replica, amount, buckets, created, renewed) VALUES ($14, $15, $16, $17, now(), now())`

// growHold writes the charged rows and adds $14 to hold $15.
const growHold = `WITH w AS (` + writeBuckets + `)
	UPDATE quota_holds SET amount = amount + $14, renewed = now() WHERE id = $15`

// reserve is ReserveRange in the shared database (want and least are
// already normalized): one transaction that creates the missing rows full
// and locks every row in name order, applies admit to them as they stand,
// and commits the charge with its hold, or changes nothing.
func (s *sharedStore) reserve(refs []BucketRef, want, least int64) (*Reservation, error) {
	if len(refs) == 0 {
		return &Reservation{m: s.m, amount: want}, nil
	}
	now := s.now()
	defs, configured := s.definitions()
	// The rows admit reads: the first ref of each name, when its
	// definition is valid; in name order, the order of every lock.
	var lock []BucketRef
	var invalid []refusal // refused whatever the balances
	for i, ref := range refs {
		if seen(refs[:i], ref.Name) {
			continue
		}
		if q := defs[ref.Def]; q != nil && q.Err == nil {
			lock = append(lock, ref)
		} else {
			invalid = append(invalid, refusal{ref: ref, q: q, invalid: true})
		}
	}
	// Without the database, a request a broken definition refuses anyway
	// is told so (fail closed all the same), rather than of the outage.
	fail := func(op string, err error) (*Reservation, error) {
		if len(invalid) > 0 {
			return nil, exceeded(invalid, least)
		}
		return nil, unavailable(op, err)
	}
	slices.SortFunc(lock, func(a, b BucketRef) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})

	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail("reserving", err)
	}
	defer tx.Rollback()
	rows := make(map[string]*bucket, len(lock))
	created := false
	for _, ref := range lock {
		q := defs[ref.Def]
		full := &bucket{name: ref.Name, def: ref.Def, q: q, nanos: q.Capacity, updated: now, anchor: now}
		var inserted bool
		b, err := s.scanBucket(withExtra{tx.QueryRowContext(ctx, lockOrCreateBucket, rowArgs(full)...), &inserted})
		if err != nil {
			return fail("reserving in "+ref.Name, err)
		}
		created = created || inserted
		revise(b, ref.Def, defs, configured, now)
		rows[ref.Name] = b
	}
	held, amount, fails := admit(refs, want, least, now, defs, func(ref BucketRef, _ *config.Quota) *bucket { return rows[ref.Name] })
	if len(fails) > 0 {
		if created {
			// The rows created full stay, as the in-memory mode keeps
			// the buckets a refused request made; nothing else
			// changed. Failed, they are created next time.
			_ = tx.Commit()
		}
		return nil, exceeded(fails, least)
	}
	charge(held, amount)
	id := rand.Text()
	args := append(bucketArgs(held), id, s.replica, amount, bucketNames(held))
	if _, err := tx.ExecContext(ctx, insertHold, args...); err != nil {
		return fail("reserving", err)
	}
	if err := tx.Commit(); err != nil {
		// If the commit did go through, the hold is charged but not
		// renewed: the sweeper releases it, money kept.
		return fail("reserving", err)
	}
	s.track(id)
	return &Reservation{m: s.m, buckets: held, amount: amount, hold: &sharedHold{id: id}}, nil
}

// extend is Reservation.Extend in the shared database: one transaction
// that locks the hold, then its buckets in name order, and charges delta
// to every one, or nothing. A hold the sweeper released cannot grow.
// Any failure refuses: the gateway then ends the stream.
func (s *sharedStore) extend(r *Reservation, delta int64) bool {
	h := r.hold
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.settled {
		return false
	}
	ok, err := s.extendHold(h.id, delta)
	if err != nil {
		slog.Warn("quota hold not extended; the stream ends", "hold", h.id, "err", err)
		return false
	}
	if ok {
		r.amount += delta
	}
	return ok
}

func (s *sharedStore) extendHold(id string, delta int64) (bool, error) {
	now := s.now()
	defs, configured := s.definitions()
	const op = "extending a hold"
	ok := false
	err := s.inTx(op, func(ctx context.Context, tx *sql.Tx) error {
		var js string
		err := tx.QueryRowContext(ctx, `SELECT to_json(buckets)::text FROM quota_holds WHERE id = $1 FOR UPDATE`, id).Scan(&js)
		if errors.Is(err, sql.ErrNoRows) {
			return errRollback // released by the sweeper
		}
		if err != nil {
			return unavailable(op, err)
		}
		bs, err := s.lockHeld(ctx, tx, op, js)
		if err != nil {
			return err
		}
		for _, b := range bs {
			revise(b, b.def, defs, configured, now)
			// A bucket whose definition was deleted no longer limits
			// anything, but is charged all the same, so that the
			// settlement's refund balances it.
			if defs[b.def] != nil && !b.covers(delta) {
				return errRollback
			}
		}
		charge(bs, delta)
		args := append(bucketArgs(bs), delta, id)
		if _, err := tx.ExecContext(ctx, growHold, args...); err != nil {
			return unavailable(op, err)
		}
		ok = true
		return nil
	})
	return ok && err == nil, err
}

// settle is Reservation.Settle in the shared database. It returns once
// the settlement has committed, so the gateway, which settles before the
// answer's last bytes, never finishes an answer whose cost is not
// recorded. When the database fails, the hold stays charged in full
// (never an overspend): it is no longer renewed, so the sweeper releases
// it, and the settlement is retried with the renewals meanwhile.
func (s *sharedStore) settle(r *Reservation, actual int64) {
	h := r.hold
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.settled {
		return
	}
	r.settled = true
	s.untrack(h.id)
	if err := s.settleHold(h.id, actual); err != nil {
		slog.Warn("quota hold not settled; it stays charged and is retried", "hold", h.id, "cost", actual, "err", err)
		s.retryLater(h.id, actual)
	}
}

// settleHold charges actual to the buckets of hold id: it refunds what
// the hold has beyond actual, up to capacity, or charges the excess,
// deletes the hold and records the charge in quota_charges. A hold the
// sweeper released (kept charged, no longer reserved) is refunded the
// same, once, and its release row notes the settlement. A hold settled before is left alone, so a retry after a
// commit whose outcome was unknown cannot refund twice.
func (s *sharedStore) settleHold(id string, actual int64) error {
	now := s.now()
	defs, configured := s.definitions()
	const op = "settling a hold"
	return s.inTx(op, func(ctx context.Context, tx *sql.Tx) error {
		var amount int64
		var js string
		released := false
		var releasedAt time.Time
		err := tx.QueryRowContext(ctx, `WITH h AS (DELETE FROM quota_holds WHERE id = $1 RETURNING amount, buckets)
			INSERT INTO quota_charges (hold, replica, held, cost, buckets, settled)
			SELECT $1, $2, amount, $3, buckets, now() FROM h
			RETURNING held, to_json(buckets)::text`, id, s.replica, actual).Scan(&amount, &js)
		if errors.Is(err, sql.ErrNoRows) {
			released = true
			err = tx.QueryRowContext(ctx, `UPDATE quota_hold_releases SET settled = now(), cost = $2
				WHERE hold = $1 AND settled IS NULL RETURNING amount, to_json(buckets)::text, released`, id, actual).Scan(&amount, &js, &releasedAt)
			if errors.Is(err, sql.ErrNoRows) {
				return errRollback // settled before
			}
		}
		if err != nil {
			return unavailable(op, err)
		}
		bs, err := s.lockHeld(ctx, tx, op, js)
		if err != nil {
			return err
		}
		for _, b := range bs {
			// Brought up to date while the hold still counts, as in
			// memory: a calendar budget that reset meanwhile started
			// its new period with the hold taken out.
			revise(b, b.def, defs, configured, now)
			if !released {
				b.reserved -= amount
			}
			refund := subSat(amount, actual)
			if released && refund > 0 && b.q.Calendar() && b.q.PeriodStart(now).After(releasedAt) {
				// The release took the hold out of reserved, so the
				// period that began since started full: refunding the
				// old period's money into it would let it spend more
				// than its capacity.
				refund = 0
			}
			b.add(refund)
		}
		if _, err := tx.ExecContext(ctx, writeBuckets, bucketArgs(bs)...); err != nil {
			return unavailable(op, err)
		}
		return nil
	})
}
