package quotas

import (
	"math"
	"testing"
	"time"
)

func TestRefillOverTime(t *testing.T) {
	c := newClock()
	daily := quota(t, "daily:<user>", "$10.00", "$5.00/day")
	m := newManager(t, c, daily)
	ref := BucketRef{Name: "daily:alice", Def: daily.Name}
	spend(t, m, ref, usd(t, "$10"))
	steps := []struct {
		advance time.Duration
		want    int64
	}{
		{0, 0},
		{time.Hour, 208_333_333}, // 5e9/24, rounded down
		{11 * time.Hour, usd(t, "$2.50")},
		{12 * time.Hour, usd(t, "$5.00")},
		{72 * time.Hour, usd(t, "$10.00")}, // capped at capacity
	}
	for _, s := range steps {
		c.Advance(s.advance)
		if got := balance(t, m, ref.Name); got != s.want {
			t.Errorf("after +%v: balance %d, want %d", s.advance, got, s.want)
		}
	}
	// Having been full, the bucket accrues nothing for the idle time:
	// spending $1 and waiting an hour gives back one hour's refill only.
	spend(t, m, ref, usd(t, "$1"))
	c.Advance(time.Hour)
	if got, want := balance(t, m, ref.Name), usd(t, "$9")+208_333_333; got != want {
		t.Errorf("after refill from full: %d, want %d", got, want)
	}
}

// Accessing the bucket every second must not lose the fraction of a
// nanodollar each second's refill leaves over.
func TestRefillExactAcrossManyAccesses(t *testing.T) {
	c := newClock()
	q := quota(t, "q", "$10", "$1/day")
	m := newManager(t, c, q)
	ref := BucketRef{Name: "q", Def: "q"}
	spend(t, m, ref, usd(t, "$10"))
	for range 3600 {
		c.Advance(time.Second)
		r, err := m.Reserve([]BucketRef{ref}, 0)
		if err == nil {
			r.Settle(0)
		}
	}
	want := q.Refill(time.Hour) // 41_666_666; per-second rounding would give 41_666_400
	if want != 41_666_666 {
		t.Fatalf("Refill(1h) = %d", want)
	}
	if got := balance(t, m, ref.Name); got != want {
		t.Errorf("balance %d, want %d", got, want)
	}
}

func TestClockBackwardsChangesNothing(t *testing.T) {
	c := newClock()
	q := quota(t, "q", "$10", "$10/hour")
	m := newManager(t, c, q)
	ref := BucketRef{Name: "q", Def: "q"}
	spend(t, m, ref, usd(t, "$5"))
	c.Advance(-time.Hour)
	if got := balance(t, m, "q"); got != usd(t, "$5") {
		t.Errorf("balance %d after clock went back", got)
	}
	c.Advance(time.Hour + 6*time.Minute)
	if got := balance(t, m, "q"); got != usd(t, "$6") {
		t.Errorf("balance %d, want $6", got)
	}
}

func TestBucketAdd(t *testing.T) {
	q := quota(t, "q", "$10", "$1/day")
	tests := []struct {
		name         string
		start, delta int64
		want         int64
	}{
		{"refund", 5, 3, 8},
		{"refund stops at capacity", usd(t, "$9"), usd(t, "$5"), usd(t, "$10")},
		{"huge refund", 0, math.MaxInt64, usd(t, "$10")},
		{"charge below zero", 5, -8, -3},
		{"charge saturates", math.MinInt64 + 5, -10, math.MinInt64},
	}
	for _, tt := range tests {
		b := &bucket{q: q, nanos: tt.start}
		b.add(tt.delta)
		if b.nanos != tt.want {
			t.Errorf("%s: %d + %d = %d, want %d", tt.name, tt.start, tt.delta, b.nanos, tt.want)
		}
	}
}
