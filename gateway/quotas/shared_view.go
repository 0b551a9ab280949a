package quotas

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sort"

	"github.com/tsplug/ts-plug/gateway/config"
)

// unreadable is a view's Invalid when the database could not be read.
const unreadable = "the quota database cannot be read: the balance is unknown, and requests charged to this bucket are refused until it can"

// lookup is Lookup in the shared database: the rows as they stand,
// brought up to date in Go without writing.
func (s *sharedStore) lookup(refs []BucketRef) []BalanceView {
	now := s.now()
	defs, configured := s.definitions()
	names := make([]string, 0, len(refs))
	for i, ref := range refs {
		if !seen(refs[:i], ref.Name) {
			names = append(names, ref.Name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.readRows(ctx, names)
	out := make([]BalanceView, 0, len(names))
	for i, ref := range refs {
		if seen(refs[:i], ref.Name) {
			continue
		}
		if err != nil {
			out = append(out, BalanceView{Bucket: ref.Name, Definition: ref.Def, Invalid: unreadable, Balance: FormatDollars(0), Capacity: FormatDollars(0)})
			continue
		}
		b := rows[ref.Name]
		if b != nil {
			retune(b, b.def, defs, configured, now)
		}
		out = append(out, lookupView(ref, defs[ref.Def], b, now))
	}
	if err != nil {
		slog.Warn("quota balances not read", "err", err)
	}
	return out
}

// balances lists the rows keep accepts whose definition is in the
// config (the in-memory mode drops the others at Configure), sorted by
// name. A database failure is logged and lists nothing.
func (s *sharedStore) balances(keep func(name, def string) bool) []BalanceView {
	now := s.now()
	defs, configured := s.definitions()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.readRows(ctx, nil)
	if err != nil {
		slog.Warn("quota balances not read", "err", unavailable("listing quota balances", err))
		return []BalanceView{}
	}
	out := []BalanceView{}
	for _, b := range rows {
		cur := defs[b.def]
		if cur == nil || !keep(b.name, b.def) {
			continue
		}
		retune(b, b.def, defs, configured, now)
		out = append(out, b.view(now, cur))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bucket < out[j].Bucket })
	return out
}

// refill is Refill in the shared database.
func (s *sharedStore) refill(name string, amount int64) (BalanceView, error) {
	now := s.now()
	defs, configured := s.definitions()
	op := "refilling quota " + name
	var view BalanceView
	err := s.inTx(op, func(ctx context.Context, tx *sql.Tx) error {
		bs, err := s.lockRows(ctx, tx, []string{name})
		if err != nil {
			return unavailable(op, err)
		}
		if len(bs) == 0 || defs[bs[0].def] == nil {
			return fmt.Errorf("refilling quota %q: %w (buckets appear with their first request)", name, ErrUnknownBucket)
		}
		b := bs[0]
		revise(b, b.def, defs, configured, now)
		b.add(amount)
		if _, err := tx.ExecContext(ctx, writeBuckets, bucketArgs(bs)...); err != nil {
			return unavailable(op, err)
		}
		view = b.view(now, defs[b.def])
		return nil
	})
	if err != nil {
		return BalanceView{}, err
	}
	return view, nil
}

// changeEffects is ChangeEffects on the rows; a database failure is
// logged and reports nothing.
func (s *sharedStore) changeEffects(next map[string]*config.Quota) []string {
	now := s.now()
	defs, configured := s.definitions()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.readRows(ctx, nil)
	if err != nil {
		slog.Warn("quota balances not read", "err", unavailable("listing quota balances", err))
		return nil
	}
	bs := make([]*bucket, 0, len(rows))
	for _, b := range rows {
		if defs[b.def] == nil {
			continue
		}
		revise(b, b.def, defs, configured, now)
		bs = append(bs, b)
	}
	return changeEffects(bs, defs, next)
}
