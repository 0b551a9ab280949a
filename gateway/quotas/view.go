package quotas

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// ErrUnknownBucket is returned by Refill for a bucket that does not exist:
// buckets appear with the first request charged to them.
var ErrUnknownBucket = errors.New("unknown quota bucket")

// BalanceView is one bucket as GET /api/quotas, the dashboard, the models
// page and hook payloads show it. Money is in nanodollars, with "$x.yz"
// strings for display.
type BalanceView struct {
	Bucket        string `json:"bucket"`     // expanded name
	Definition    string `json:"definition"` // its config.Quotas name
	BalanceNanos  int64  `json:"balance_nanos"`
	CapacityNanos int64  `json:"capacity_nanos"`
	// ReservedNanos is held by requests in flight; it is already
	// subtracted from BalanceNanos and mostly comes back when they end.
	ReservedNanos int64  `json:"reserved_nanos"`
	Rate          string `json:"rate"` // as written, e.g. "$5.00/day"
	// RefillPerSecondNanos is the refill rate, for display only.
	RefillPerSecondNanos float64   `json:"refill_per_second_nanos"`
	Updated              time.Time `json:"updated"` // last charge, refund or refill

	Balance  string `json:"balance"`  // "$7.25"
	Capacity string `json:"capacity"` // "$10.00"
	// Invalid says why the definition cannot be enforced, when it cannot:
	// requests charged to the bucket are then refused.
	Invalid string `json:"invalid,omitempty"`

	// FullIn is how long the bucket needs, refilling at its rate with
	// nothing more charged, to be back at capacity, rounded up to whole
	// seconds; FullAt is that moment. Both are zero when it is full, when
	// it never refills (NeverRefills, a zero rate) and when its definition
	// is invalid. Money held by requests in flight counts as spent: what
	// comes back when they end makes it full sooner.
	FullIn       time.Duration `json:"-"`
	FullAt       time.Time     `json:"full_at,omitzero"`
	NeverRefills bool          `json:"never_refills,omitempty"`
}

// untilFull sets v's FullIn, FullAt and NeverRefills from its balance and
// capacity, refilling under q from now.
func (v *BalanceView) untilFull(q *config.Quota, now time.Time) {
	if v.Invalid != "" || v.BalanceNanos >= v.CapacityNanos {
		return
	}
	deficit := v.CapacityNanos - v.BalanceNanos
	if v.BalanceNanos < 0 && v.CapacityNanos > math.MaxInt64+v.BalanceNanos {
		deficit = math.MaxInt64 // a balance that far below zero would overflow
	}
	d, ok := q.WaitFrom(deficit, now)
	if !ok {
		v.NeverRefills = true
		return
	}
	v.FullIn, v.FullAt = d, now.Add(d)
}

// Balances returns the buckets for which keep(name) is true (all when keep
// is nil), sorted by name, with refill up to now. Only buckets that exist
// are listed: those used since they were defined, and saved ones the
// current definitions account for.
func (m *Manager) Balances(keep func(bucket string) bool) []BalanceView {
	if m.shared != nil {
		return m.shared.balances(func(name, _ string) bool { return keep == nil || keep(name) })
	}
	now := m.now()
	m.mu.Lock()
	out := make([]BalanceView, 0, len(m.buckets))
	for name, b := range m.buckets {
		if keep == nil || keep(name) {
			out = append(out, b.view(now, m.defs[b.def]))
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Bucket < out[j].Bucket })
	return out
}

// BalancesOf lists the existing buckets named for principal (see
// namedFor), for an admin looking at that user's dashboard.
func (m *Manager) BalancesOf(principal string) []BalanceView {
	if principal == "" {
		return nil
	}
	if m.shared != nil {
		return m.shared.balances(func(name, def string) bool { return namedFor(name, def, principal) })
	}
	now := m.now()
	m.mu.Lock()
	out := []BalanceView{}
	for name, b := range m.buckets {
		if namedFor(name, b.def, principal) {
			out = append(out, b.view(now, m.defs[b.def]))
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Bucket < out[j].Bucket })
	return out
}

// Lookup returns the buckets of refs as they stand, in refs order without
// duplicates, including those not used yet (shown full, as they would
// start) and those whose definition is missing or invalid (with Invalid
// set). It changes nothing, so it suits hook payloads and a caller's own
// view of their buckets.
func (m *Manager) Lookup(refs []BucketRef) []BalanceView {
	if m.shared != nil {
		return m.shared.lookup(refs)
	}
	now := m.now()
	out := make([]BalanceView, 0, len(refs))
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, ref := range refs {
		if seen(refs[:i], ref.Name) {
			continue
		}
		q := m.defs[ref.Def]
		b := m.buckets[ref.Name]
		if b == nil && q != nil && q.Err == nil {
			if saved, ok := m.pending[ref.Name]; ok {
				b = adopt(ref.Name, ref.Def, q, saved, now)
			}
		}
		out = append(out, lookupView(ref, q, b, now))
	}
	return out
}

// lookupView is Lookup's view of ref, whose definition is q (nil when
// missing) and whose bucket is b (nil when not used yet). b is not
// changed.
func lookupView(ref BucketRef, q *config.Quota, b *bucket, now time.Time) BalanceView {
	if q == nil || q.Err != nil {
		v := BalanceView{Bucket: ref.Name, Definition: ref.Def, Invalid: "definition not in the config"}
		if q != nil {
			v.Invalid = q.Err.Error()
			v.Rate = q.Rate
		}
		if b != nil {
			v.BalanceNanos, v.CapacityNanos, v.ReservedNanos, v.Updated = b.peek(now), b.q.Capacity, b.reserved, b.updated
		}
		v.Balance, v.Capacity = FormatDollars(v.BalanceNanos), FormatDollars(v.CapacityNanos)
		return v
	}
	switch {
	case b != nil && b.def == ref.Def:
	case b != nil:
		c := *b
		c.redefine(q, now)
		b = &c
	default:
		b = &bucket{name: ref.Name, def: ref.Def, q: q, nanos: q.Capacity, updated: now, anchor: now}
	}
	return b.view(now, q)
}

// view renders b as of now; cur is its current definition (nil when
// deleted), which may be invalid.
func (b *bucket) view(now time.Time, cur *config.Quota) BalanceView {
	v := BalanceView{
		Bucket:               b.name,
		Definition:           b.def,
		BalanceNanos:         b.peek(now),
		CapacityNanos:        b.q.Capacity,
		ReservedNanos:        b.reserved,
		Rate:                 b.q.Describe(),
		RefillPerSecondNanos: b.q.PerSecond(),
		Updated:              b.updated,
	}
	switch {
	case cur == nil:
		v.Invalid = "definition not in the config"
	case cur.Err != nil:
		v.Invalid = cur.Err.Error()
	}
	v.Balance, v.Capacity = FormatDollars(v.BalanceNanos), FormatDollars(v.CapacityNanos)
	v.untilFull(b.q, now)
	return v
}

// Refill adds amount nanodollars to an existing bucket, up to its capacity
// (POST /api/quotas/refill, admins only), and returns the bucket after.
// An unknown bucket is an error wrapping ErrUnknownBucket.
func (m *Manager) Refill(bucket string, amount int64) (BalanceView, error) {
	if amount <= 0 {
		return BalanceView{}, fmt.Errorf("refilling quota %q: amount %s is not positive", bucket, FormatDollars(amount))
	}
	if m.shared != nil {
		return m.shared.refill(bucket, amount)
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return BalanceView{}, fmt.Errorf("refilling quota %q: %w (buckets appear with their first request)", bucket, ErrUnknownBucket)
	}
	b.advance(now)
	b.add(amount)
	m.dirty = true
	return b.view(now, m.defs[b.def]), nil
}

// FormatDollars renders nanodollars as "$10.00", "$0.0042" or "-$0.50";
// it is config.FormatDollars, the one money formatter of exact amounts.
func FormatDollars(nanos int64) string { return config.FormatDollars(nanos) }
