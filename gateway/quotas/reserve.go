package quotas

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// ExceededError is why Reserve rejected a request. The gateway answers it
// with HTTP 429, a Retry-After header when RetryAfter is positive, and
// Message in the caller's API dialect.
type ExceededError struct {
	// Bucket is the bucket that blocks the request the longest: an
	// invalid one, else one waiting cannot help, else the slowest to
	// refill.
	Bucket  string
	Balance int64 // its balance in nanodollars; may be negative
	Needed  int64 // the reservation asked of every bucket, nanodollars
	// RetryAfter is how long until Bucket covers the reservation, in whole
	// seconds; 0 when waiting will not help (invalid definition, a bucket
	// that never refills, or a reservation above the capacity).
	RetryAfter time.Duration
	// Invalid reports that the definition of Bucket is missing or does not
	// parse: the request is refused (fail closed) until the config is
	// fixed.
	Invalid bool
	// Exhausted lists every bucket that refused, for the server log.
	Exhausted []string
	// Message explains the rejection to the caller.
	Message string
}

// Error returns Message.
func (e *ExceededError) Error() string { return e.Message }

// Reservation is money held in one or more buckets for a request in
// flight. Settle it exactly once when the request ends; later calls do
// nothing. A nil *Reservation is valid and settles nothing.
type Reservation struct {
	m       *Manager
	buckets []*bucket
	amount  int64
	settled bool // guarded by m.mu, or by hold.mu in shared mode
	// hold is the reservation's row in the shared database; nil when the
	// balances are in memory (see NewShared).
	hold *sharedHold
}

// Reserve holds amount nanodollars in every bucket of refs, all or
// nothing. A bucket refuses when its balance is at or below zero or below
// amount, and always when its definition is missing or invalid (fail
// closed); then nothing is reserved anywhere and the error is an
// *ExceededError. amount 0 (unknown price) reserves nothing but still
// requires every balance to be positive. A request no bucket applies to
// gets an empty reservation. Duplicate bucket names are charged once, under
// the first definition given.
func (m *Manager) Reserve(refs []BucketRef, amount int64) (*Reservation, error) {
	return m.ReserveRange(refs, amount, amount)
}

// ReserveRange holds, in every bucket of refs, all or nothing, as much of
// want as the buckets can spare but never less than least:
//   - want, when every bucket has it;
//   - else half of what the poorest bucket has, but at least least, when
//     that bucket has least: a request that may cost more than is left
//     takes a share and leaves the rest for requests running beside it,
//     so a nearly spent bucket still serves small calls in parallel
//     (the caller then lowers the request's output limit to what it
//     holds);
//   - else nothing: the error is an *ExceededError for least.
//
// The sum of what open reservations hold never exceeds what the buckets
// had, so if no request costs more than it holds, no bucket is overspent,
// however many requests run at once. Reservation.Amount is what was held.
func (m *Manager) ReserveRange(refs []BucketRef, want, least int64) (*Reservation, error) {
	want = max(want, 0)
	least = min(max(least, 0), want)
	if m.shared != nil {
		return m.shared.reserve(refs, want, least)
	}
	now := m.now()

	m.mu.Lock()
	held, amount, fails := admit(refs, want, least, now, m.defs, func(ref BucketRef, q *config.Quota) *bucket {
		b := m.bucketLocked(ref, q, now)
		b.advance(now)
		return b
	})
	if len(fails) == 0 {
		charge(held, amount)
		if amount > 0 && len(held) > 0 {
			m.dirty = true
		}
	}
	m.mu.Unlock()

	if len(fails) > 0 {
		return nil, exceeded(fails, least)
	}
	return &Reservation{m: m, buckets: held, amount: amount}, nil
}

// admit is ReserveRange's rule, shared by both modes: get returns the
// bucket of a ref whose definition q is valid, brought up to date at now.
// It returns the buckets to charge and the amount, or the refusals, in
// which case nothing may be charged.
func admit(refs []BucketRef, want, least int64, now time.Time, defs map[string]*config.Quota, get func(BucketRef, *config.Quota) *bucket) (held []*bucket, amount int64, fails []refusal) {
	held = make([]*bucket, 0, len(refs))
	poorest := int64(math.MaxInt64)
	for i, ref := range refs {
		if seen(refs[:i], ref.Name) {
			continue
		}
		q := defs[ref.Def]
		if q == nil || q.Err != nil {
			fails = append(fails, refusal{ref: ref, q: q, invalid: true})
			continue
		}
		b := get(ref, q)
		if !b.covers(least) {
			fails = append(fails, refusal{ref: ref, q: q, balance: b.nanos, now: now})
			continue
		}
		poorest = min(poorest, b.nanos)
		held = append(held, b)
	}
	amount = want
	if poorest < want {
		amount = max(least, poorest/2)
	}
	return held, amount, fails
}

// charge holds amount in every bucket of held.
func charge(held []*bucket, amount int64) {
	for _, b := range held {
		b.nanos -= amount
		b.reserved += amount
	}
}

// covers reports whether b may hold amount more: it must be positive and
// have at least amount.
func (b *bucket) covers(amount int64) bool { return b.nanos > 0 && b.nanos >= amount }

// Extend holds delta more in every bucket of the reservation, all or
// nothing, and reports whether it could: every bucket must have delta
// left (and be positive). A stream whose output outgrows its hold draws
// more this way; when Extend fails, the gateway ends the stream. A nil or
// settled reservation cannot be extended.
func (r *Reservation) Extend(delta int64) bool {
	if r == nil || r.m == nil || delta <= 0 {
		return r != nil && delta <= 0
	}
	if r.hold != nil {
		return r.m.shared.extend(r, delta)
	}
	m := r.m
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.settled {
		return false
	}
	for _, b := range r.buckets {
		if m.buckets[b.name] != b {
			continue // deleted by Configure: no longer limits anything
		}
		b.advance(now)
		if !b.covers(delta) {
			return false
		}
	}
	for _, b := range r.buckets {
		b.reserved += delta
		if m.buckets[b.name] == b {
			b.nanos -= delta
		}
	}
	r.amount += delta
	m.dirty = true
	return true
}

func seen(refs []BucketRef, name string) bool {
	for _, r := range refs {
		if r.Name == name {
			return true
		}
	}
	return false
}

// Amount returns the nanodollars held in each bucket.
func (r *Reservation) Amount() int64 {
	if r == nil {
		return 0
	}
	return r.amount
}

// Buckets returns the names of the buckets the reservation holds money in.
func (r *Reservation) Buckets() []string {
	if r == nil {
		return nil
	}
	out := make([]string, len(r.buckets))
	for i, b := range r.buckets {
		out[i] = b.name
	}
	return out
}

// Settle charges the request's real cost, actual nanodollars, to every
// bucket of the reservation: the unused part of the reservation is
// refunded (up to capacity), or the excess charged, which may take a
// bucket below zero. Only the first Settle or Release counts. Buckets
// deleted by Configure meanwhile are skipped.
//
// What an answer without usage costs is the caller's choice. The gateway
// settles a successful one it cannot price at the whole hold (Amount),
// since the provider bills for it, and releases a failed one, which
// refunds everything.
func (r *Reservation) Settle(actual int64) {
	if r == nil || r.m == nil {
		return
	}
	actual = max(actual, 0)
	if r.hold != nil {
		r.m.shared.settle(r, actual)
		return
	}
	m := r.m
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.settled {
		return
	}
	r.settled = true
	for _, b := range r.buckets {
		live := m.buckets[b.name] == b
		if live {
			// Brought up to date while the hold still counts: a
			// calendar budget that reset meanwhile started its new
			// period with the hold taken out.
			b.advance(now)
		}
		b.reserved -= r.amount
		if !live {
			continue
		}
		b.add(subSat(r.amount, actual))
	}
	if len(r.buckets) > 0 && r.amount != actual {
		m.dirty = true
	}
}

// Release settles at zero cost, refunding the whole reservation: for a
// request that never reached the provider.
func (r *Reservation) Release() { r.Settle(0) }

// subSat returns a-b, saturating at the int64 limits instead of wrapping.
func subSat(a, b int64) int64 {
	d := a - b
	switch {
	case b > 0 && d > a:
		return math.MinInt64
	case b < 0 && d < a:
		return math.MaxInt64
	}
	return d
}

// refusal is one bucket that refused a reservation.
type refusal struct {
	ref     BucketRef
	q       *config.Quota // nil when the definition is missing
	invalid bool
	balance int64
	now     time.Time
}

// wait returns how long until the bucket covers amount (and is positive),
// and false when waiting cannot help.
func (f refusal) wait(amount int64) (time.Duration, bool) {
	if f.invalid {
		return 0, false
	}
	target := max(amount, 1)
	if target > f.q.Capacity {
		return 0, false
	}
	d, ok := f.q.WaitFrom(subSat(target, f.balance), f.now)
	if !ok {
		return 0, false
	}
	return d, true
}

// exceeded builds the error for a refused reservation, reporting the
// bucket that blocks longest: an invalid definition first, then a bucket
// waiting cannot help, then the longest wait.
func exceeded(fails []refusal, amount int64) *ExceededError {
	rank := func(f refusal, d time.Duration, ok bool) (int, time.Duration) {
		switch {
		case f.invalid:
			return 2, 0
		case !ok:
			return 1, 0
		}
		return 0, d
	}
	worst, worstRank := -1, 0
	var worstWait time.Duration
	worstOK := false
	names := make([]string, len(fails))
	for i, f := range fails {
		names[i] = f.ref.Name
		d, ok := f.wait(amount)
		r, rd := rank(f, d, ok)
		if worst < 0 || r > worstRank || (r == worstRank && rd > worstWait) {
			worst, worstRank, worstWait, worstOK = i, r, d, ok
		}
	}
	f := fails[worst]
	return &ExceededError{
		Bucket:     f.ref.Name,
		Balance:    f.balance,
		Needed:     amount,
		RetryAfter: worstWait,
		Invalid:    f.invalid,
		Exhausted:  names,
		Message:    f.message(amount, worstWait, worstOK),
	}
}

// message explains one refusal to the caller.
func (f refusal) message(amount int64, wait time.Duration, ok bool) string {
	var b strings.Builder
	switch {
	case f.q == nil:
		fmt.Fprintf(&b, "quota %q cannot be enforced: its definition %q is not in the config; requests are refused until the config is fixed", f.ref.Name, f.ref.Def)
		return b.String()
	case f.invalid:
		fmt.Fprintf(&b, "quota %q cannot be enforced: its definition %q is invalid (%v); requests are refused until the config is fixed", f.ref.Name, f.ref.Def, f.q.Err)
		return b.String()
	case f.q.Capacity <= 0:
		fmt.Fprintf(&b, "quota %q allows no spending (capacity %s)", f.ref.Name, FormatDollars(f.q.Capacity))
		return b.String()
	case amount > f.q.Capacity:
		fmt.Fprintf(&b, "quota %q cannot cover this request: it may cost up to %s but the bucket holds at most %s; send a smaller request or a lower max_tokens", f.ref.Name, FormatDollars(amount), FormatDollars(f.q.Capacity))
		return b.String()
	case f.balance <= 0:
		fmt.Fprintf(&b, "quota %q is exhausted (balance %s)", f.ref.Name, FormatDollars(f.balance))
	default:
		fmt.Fprintf(&b, "quota %q has %s left but this request may cost up to %s", f.ref.Name, FormatDollars(f.balance), FormatDollars(amount))
	}
	switch {
	case ok && f.q.Calendar():
		// A calendar budget has no rate: it is full again each period.
		fmt.Fprintf(&b, "; it resets each %s, try again in %s", f.q.Reset, wait)
	case ok:
		fmt.Fprintf(&b, "; it refills at %s, try again in %s", f.q.Rate, wait)
	default:
		b.WriteString("; it does not refill, ask an admin to refill it")
	}
	return b.String()
}
