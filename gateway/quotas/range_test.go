package quotas

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

func TestReserveRange(t *testing.T) {
	tests := []struct {
		name              string
		capacity          string
		want, least       string
		held              string // "" means refused
		balanceAfterwards string
	}{
		{"full hold when it fits", "$10", "$1", "$0.10", "$1", "$9"},
		{"share of a bucket that cannot pay in full", "$1", "$3", "$0.10", "$0.50", "$0.50"},
		{"the least when the share is smaller", "$1", "$3", "$0.80", "$0.80", "$0.20"},
		{"refused below the least", "$1", "$3", "$1.50", "", "$1"},
		{"want below least is want", "$1", "$0.20", "$0.50", "$0.20", "$0.80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, newClock(), quota(t, "b", tt.capacity, "$0/day"))
			r, err := m.ReserveRange([]BucketRef{{"b", "b"}}, usd(t, tt.want), usd(t, tt.least))
			if tt.held == "" {
				var ex *ExceededError
				if !errors.As(err, &ex) {
					t.Fatalf("err = %v, want refusal", err)
				}
			} else if err != nil || r.Amount() != usd(t, tt.held) {
				t.Fatalf("held %d (%v), want %s", r.Amount(), err, tt.held)
			}
			if got := balance(t, m, "b"); got != usd(t, tt.balanceAfterwards) {
				t.Errorf("balance %d, want %s", got, tt.balanceAfterwards)
			}
		})
	}
}

// TestReserveRangeIsABound runs many concurrent requests, each of which may
// cost far more than the bucket has, and then spends at most what it holds:
// the bucket is never overspent, whatever the interleaving, and requests
// that fit beside each other are not all refused.
func TestReserveRangeIsABound(t *testing.T) {
	for round := range 20 {
		q := quota(t, "b", "$1.00", "$0/day")
		m := newManager(t, newClock(), q)
		ref := []BucketRef{{"b", "b"}}
		const n = 40
		var wg sync.WaitGroup
		var admitted, spent atomic.Int64
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				r, err := m.ReserveRange(ref, usd(t, "$0.97"), usd(t, "$0.02"))
				if err != nil {
					return
				}
				admitted.Add(1)
				cost := rand.Int64N(r.Amount() + 1)
				// Streams draw more as they go; some can, most cannot.
				if r.Extend(usd(t, "$0.01")) {
					cost += rand.Int64N(usd(t, "$0.01") + 1)
				}
				spent.Add(cost)
				r.Settle(cost)
			})
		}
		close(start)
		wg.Wait()
		bal := balance(t, m, "b")
		if bal < 0 {
			t.Fatalf("round %d: overspent, balance %d", round, bal)
		}
		if q.Capacity-bal != spent.Load() {
			t.Fatalf("round %d: bucket spent %d, requests %d", round, q.Capacity-bal, spent.Load())
		}
		if admitted.Load() < 2 {
			t.Errorf("round %d: admitted %d: a share should leave room for a second", round, admitted.Load())
		}
	}
}

func TestExtend(t *testing.T) {
	m := newManager(t, newClock(), quota(t, "b", "$1", "$0/day"))
	r, err := m.Reserve([]BucketRef{{"b", "b"}}, usd(t, "$0.50"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Extend(usd(t, "$0.30")) || r.Amount() != usd(t, "$0.80") || balance(t, m, "b") != usd(t, "$0.20") {
		t.Fatalf("after extend: held %d, balance %d", r.Amount(), balance(t, m, "b"))
	}
	if r.Extend(usd(t, "$0.30")) {
		t.Fatal("extended past the balance")
	}
	if balance(t, m, "b") != usd(t, "$0.20") {
		t.Fatal("a refused extension charged the bucket")
	}
	r.Settle(usd(t, "$0.60"))
	if balance(t, m, "b") != usd(t, "$0.40") {
		t.Fatalf("after settle: balance %d", balance(t, m, "b"))
	}
	if r.Extend(1) {
		t.Fatal("extended a settled reservation")
	}
	if v := m.Lookup([]BucketRef{{"b", "b"}}); len(v) != 1 || v[0].ReservedNanos != 0 {
		t.Errorf("still held: %+v", v)
	}
}
