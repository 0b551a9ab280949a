package quotas

import (
	"math"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// bucket is one expanded quota bucket. Its balance is brought up to date
// lazily, on access: while below capacity it accrues q.Refill(now-anchor)
// in total since anchor, of which credited has already been added. Keeping
// the anchor instead of adding Refill(now-updated) at every access makes
// the refill exact: the fractional nanodollars of each step are not lost.
type bucket struct {
	name     string
	def      string        // definition name in config.Quotas
	q        *config.Quota // the last valid definition; never nil
	nanos    int64         // balance as of updated; may be negative
	updated  time.Time     // when nanos was last brought up to date
	anchor   time.Time     // refill accrues from here while below capacity
	credited int64         // refill added since anchor
	reserved int64         // held by open reservations, for display
}

// advance adds the refill accrued up to now, capped at capacity. A clock
// that went backwards changes nothing.
func (b *bucket) advance(now time.Time) {
	if !now.After(b.updated) {
		return
	}
	if b.q.Calendar() {
		// A calendar budget is full again in each new period, less what
		// requests still in flight hold: their settlement refunds what
		// they did not use, so their cost falls on the new period and
		// nothing can be spent twice.
		if b.updated.Before(b.q.PeriodStart(now)) {
			b.nanos = b.q.Capacity - b.reserved
		}
		b.updated, b.anchor, b.credited = now, now, 0
		return
	}
	b.updated = now
	if b.nanos >= b.q.Capacity {
		b.anchor, b.credited = now, 0
		return
	}
	total := b.q.Refill(now.Sub(b.anchor))
	add := total - b.credited
	if add <= 0 {
		return
	}
	b.credited = total
	if b.nanos >= b.q.Capacity-add {
		b.nanos = b.q.Capacity
		b.anchor, b.credited = now, 0
		return
	}
	b.nanos += add
}

// peek returns the balance advance(now) would give, without changing b.
func (b *bucket) peek(now time.Time) int64 {
	c := *b
	c.advance(now)
	return c.nanos
}

// add changes the balance by delta (advance(now) must have been called):
// a refund stops at capacity, a charge saturates instead of wrapping.
func (b *bucket) add(delta int64) {
	switch {
	case delta > 0 && b.nanos >= b.q.Capacity-delta:
		b.nanos = max(b.nanos, b.q.Capacity)
	case delta < 0 && b.nanos < math.MinInt64-delta:
		b.nanos = math.MinInt64
	default:
		b.nanos += delta
	}
}

// redefine switches b to definition q: refill up to now at the old rate,
// then cut the balance to q's capacity and accrue at q's rate from now.
// It reports whether anything changed.
func (b *bucket) redefine(q *config.Quota, now time.Time) bool {
	if q == b.q {
		return false
	}
	same := sameTerms(q, b.q)
	b.advance(now)
	b.q = q
	if same {
		return false
	}
	b.anchor, b.credited = now, 0
	if b.nanos > q.Capacity {
		b.nanos = q.Capacity
	}
	return true
}

// sameTerms reports whether a and b fill a bucket the same way: the same
// capacity, rate and calendar.
func sameTerms(a, b *config.Quota) bool {
	return a.Capacity == b.Capacity && a.RateNanos == b.RateNanos && a.RatePeriod == b.RatePeriod &&
		a.Reset == b.Reset && a.Location.String() == b.Location.String()
}

// adopt makes a bucket from a saved balance under definition q: capped at
// q's capacity and refilled for the time since it was saved.
func adopt(name, def string, q *config.Quota, saved Balance, now time.Time) *bucket {
	at := saved.Updated
	if at.IsZero() || at.After(now) {
		at = now
	}
	b := &bucket{name: name, def: def, q: q, nanos: min(saved.Nanos, q.Capacity), updated: at, anchor: at}
	b.advance(now)
	return b
}
