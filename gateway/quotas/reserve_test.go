package quotas

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestReserveAllOrNothing(t *testing.T) {
	c := newClock()
	big, small := quota(t, "big", "$10", "$1/day"), quota(t, "small", "$1", "$1/day")
	m := newManager(t, c, big, small)
	refs := []BucketRef{{"big", "big"}, {"small", "small"}}
	_, err := m.Reserve(refs, usd(t, "$2"))
	var ex *ExceededError
	if !errors.As(err, &ex) || ex.Bucket != "small" || ex.Needed != usd(t, "$2") || ex.Balance != usd(t, "$1") {
		t.Fatalf("err = %#v", err)
	}
	if got := balance(t, m, "big"); got != usd(t, "$10") {
		t.Errorf("big charged by a refused request: %d", got)
	}
	// A fitting amount is taken from every bucket, duplicates once.
	r, err := m.Reserve(append(refs, BucketRef{"big", "big"}), usd(t, "$0.50"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Buckets(); !slices.Equal(got, []string{"big", "small"}) || r.Amount() != usd(t, "$0.50") {
		t.Errorf("reservation holds %v × %d", got, r.Amount())
	}
	if balance(t, m, "big") != usd(t, "$9.50") || balance(t, m, "small") != usd(t, "$0.50") {
		t.Errorf("balances after reserve: %+v", m.Balances(nil))
	}
}

func TestReserveWithoutBuckets(t *testing.T) {
	m := newManager(t, newClock())
	r, err := m.Reserve(nil, usd(t, "$100"))
	if err != nil || r == nil {
		t.Fatalf("Reserve(nil) = %v, %v", r, err)
	}
	r.Settle(usd(t, "$100"))
	var nilRes *Reservation
	nilRes.Settle(1) // must not panic
	nilRes.Release()
}

func TestReserveFailsClosed(t *testing.T) {
	good := quota(t, "good", "$10", "$1/day")
	bad := &config.Quota{Name: "bad:<user>", Capacity: usd(t, "$10"), Err: errors.New(`invalid rate "$5/fortnight"`)}
	tests := []struct {
		name string
		ref  BucketRef
		want []string // in the message
	}{
		{"invalid definition", BucketRef{"bad:alice", "bad:<user>"}, []string{`"bad:alice"`, `"bad:<user>"`, "fortnight", "invalid"}},
		{"missing definition", BucketRef{"gone:alice", "gone:<user>"}, []string{`"gone:alice"`, `"gone:<user>"`, "not in the config"}},
		{"no definition given", BucketRef{"team", ""}, []string{`"team"`, "not in the config"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, newClock(), good, bad)
			_, err := m.Reserve([]BucketRef{{"good", "good"}, tt.ref}, 0)
			var ex *ExceededError
			if !errors.As(err, &ex) {
				t.Fatalf("err = %v", err)
			}
			if !ex.Invalid || ex.Bucket != tt.ref.Name || ex.RetryAfter != 0 {
				t.Errorf("err = %+v", ex)
			}
			for _, w := range tt.want {
				if !strings.Contains(ex.Error(), w) {
					t.Errorf("message %q lacks %q", ex.Error(), w)
				}
			}
			if got := balance(t, m, "good"); got != usd(t, "$10") {
				t.Errorf("good bucket charged: %d", got)
			}
		})
	}
	// Nothing is configured before the first Configure.
	m, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Reserve([]BucketRef{{"good", "good"}}, 0); err == nil {
		t.Error("reserve before Configure succeeded")
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name           string
		capacity, rate string
		spent, need    string
		want           time.Duration
		invalid        bool
		msgHas         string
	}{
		{"empty bucket, hourly", "$10", "$1/hour", "$10", "$1", time.Hour, false, "try again in 1h0m0s"},
		{"half covered, daily", "$10", "$5/day", "$9.50", "$1", 8640 * time.Second, false, "has $0.50 left"},
		{"sub-second rounds up", "$10", "$3/min", "$10", "$0.000000001", time.Second, false, "exhausted"},
		{"empty and zero cost needs one nanodollar", "$10", "$1/hour", "$10", "$0", time.Second, false, "exhausted (balance $0.00)"},
		{"never refills", "$10", "$0/day", "$10", "$1", 0, false, "does not refill"},
		{"more than capacity", "$1", "$1/hour", "$0", "$2", 0, false, "holds at most $1.00"},
		{"zero capacity rejects everything", "$0", "$1/hour", "$0", "$0", 0, false, "allows no spending (capacity $0.00)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := quota(t, "q", tt.capacity, tt.rate)
			m := newManager(t, newClock(), q)
			ref := BucketRef{"q", "q"}
			if s := usd(t, tt.spent); s > 0 {
				spend(t, m, ref, s)
			}
			_, err := m.Reserve([]BucketRef{ref}, usd(t, tt.need))
			var ex *ExceededError
			if !errors.As(err, &ex) {
				t.Fatalf("err = %v", err)
			}
			if ex.RetryAfter != tt.want || ex.Invalid != tt.invalid {
				t.Errorf("RetryAfter = %v, Invalid = %v; want %v, %v", ex.RetryAfter, ex.Invalid, tt.want, tt.invalid)
			}
			if !strings.Contains(ex.Message, tt.msgHas) {
				t.Errorf("message %q lacks %q", ex.Message, tt.msgHas)
			}
		})
	}
}

func TestExceededReportsLongestWait(t *testing.T) {
	fast, slow := quota(t, "fast", "$1", "$1/min"), quota(t, "slow", "$1", "$1/day")
	m := newManager(t, newClock(), fast, slow)
	refs := []BucketRef{{"fast", "fast"}, {"slow", "slow"}}
	spend(t, m, refs[0], usd(t, "$1"))
	spend(t, m, refs[1], usd(t, "$1"))
	_, err := m.Reserve(refs, usd(t, "$0.50"))
	var ex *ExceededError
	if !errors.As(err, &ex) {
		t.Fatal(err)
	}
	if ex.Bucket != "slow" || ex.RetryAfter != 12*time.Hour || !slices.Equal(ex.Exhausted, []string{"fast", "slow"}) {
		t.Errorf("err = %+v", ex)
	}
}

func TestSettle(t *testing.T) {
	c := newClock()
	q := quota(t, "q", "$10", "$1/hour")
	m := newManager(t, c, q)
	ref := BucketRef{"q", "q"}

	// Refund the unused part.
	r, err := m.Reserve([]BucketRef{ref}, usd(t, "$4"))
	if err != nil {
		t.Fatal(err)
	}
	if v := m.Balances(nil)[0]; v.ReservedNanos != usd(t, "$4") {
		t.Errorf("reserved = %d", v.ReservedNanos)
	}
	r.Settle(usd(t, "$1"))
	r.Settle(usd(t, "$1"))
	r.Release()
	if got := balance(t, m, "q"); got != usd(t, "$9") {
		t.Fatalf("after idempotent settle: %d, want $9", got)
	}
	if v := m.Balances(nil)[0]; v.ReservedNanos != 0 {
		t.Errorf("reserved after settle = %d", v.ReservedNanos)
	}

	// A response that used more than reserved takes the bucket below zero,
	// and then even a zero-cost request is refused until it refills.
	r, err = m.Reserve([]BucketRef{ref}, usd(t, "$9"))
	if err != nil {
		t.Fatal(err)
	}
	r.Settle(usd(t, "$10"))
	if got := balance(t, m, "q"); got != -usd(t, "$1") {
		t.Fatalf("after overrun: %d, want -$1", got)
	}
	if _, err := m.Reserve([]BucketRef{ref}, 0); err == nil {
		t.Fatal("negative bucket admitted a request")
	}
	c.Advance(time.Hour) // back to $0: still refused
	if _, err := m.Reserve([]BucketRef{ref}, 0); err == nil {
		t.Fatal("empty bucket admitted a request")
	}
	c.Advance(time.Second)
	if _, err := m.Reserve([]BucketRef{ref}, 0); err != nil {
		t.Fatalf("refilled bucket refused: %v", err)
	}

	// Release refunds everything; a refund does not overfill.
	c.Advance(24 * time.Hour)
	r, err = m.Reserve([]BucketRef{ref}, usd(t, "$3"))
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour) // refills $2 of the $3 held
	r.Release()
	if got := balance(t, m, "q"); got != usd(t, "$10") {
		t.Errorf("after release: %d, want capacity", got)
	}
}

func TestSettleAfterBucketDeleted(t *testing.T) {
	m := newManager(t, newClock(), quota(t, "q", "$10", "$1/hour"))
	r, err := m.Reserve([]BucketRef{{"q", "q"}}, usd(t, "$1"))
	if err != nil {
		t.Fatal(err)
	}
	m.Configure(nil)
	m.Configure(defs(quota(t, "q", "$10", "$1/hour")))
	r.Settle(usd(t, "$5"))
	if got := m.Balances(nil); len(got) != 0 {
		t.Errorf("settle resurrected a deleted bucket: %+v", got)
	}
}

// The acceptance test: 50 parallel requests against a bucket that
// covers 10 admit at most 10, and the bucket's spend equals what was
// settled.
func TestConcurrentReservations(t *testing.T) {
	const n, fits = 50, 10
	amount := usd(t, "$0.10")
	for _, mode := range []string{"hold then settle", "settle at once at full cost", "settle at once, random cost"} {
		t.Run(mode, func(t *testing.T) {
			q := quota(t, "team", "$1.00", "$0/day")
			m := newManager(t, newClock(), q)
			ref := []BucketRef{{"team", "team"}}
			var admitted atomic.Int64
			var settled atomic.Int64
			var reserved, done sync.WaitGroup
			reserved.Add(n)
			start := make(chan struct{})
			for i := range n {
				done.Go(func() {
					<-start
					r, err := m.Reserve(ref, amount)
					reserved.Done()
					if err != nil {
						var ex *ExceededError
						if !errors.As(err, &ex) || ex.Invalid {
							t.Errorf("unexpected error: %v", err)
						}
						return
					}
					admitted.Add(1)
					actual := amount
					switch mode {
					case "hold then settle":
						reserved.Wait()
						actual = int64(i) * amount / n
					case "settle at once, random cost":
						actual = rand.Int64N(amount + 1)
					}
					settled.Add(actual)
					r.Settle(actual)
				})
			}
			close(start)
			done.Wait()
			a := admitted.Load()
			if mode == "hold then settle" || mode == "settle at once at full cost" {
				if a != fits {
					t.Errorf("admitted %d, want %d", a, fits)
				}
			} else if a < fits {
				t.Errorf("admitted %d, want at least %d", a, fits)
			}
			bal := balance(t, m, "team")
			if spent := q.Capacity - bal; spent != settled.Load() {
				t.Errorf("bucket spent %d, settled %d", spent, settled.Load())
			}
			if bal < 0 {
				t.Errorf("overspent: balance %d", bal)
			}
		})
	}
}

// Concurrent use of everything, for the race detector.
func TestConcurrentMixedUse(t *testing.T) {
	c := newClock()
	store := &memStore{}
	m, err := New(store, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	q := quota(t, "d:<user>", "$1", "$1/min")
	m.Configure(defs(q))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ref := []BucketRef{{Name: "d:" + string(rune('a'+i%3)), Def: q.Name}}
			for j := range 200 {
				r, err := m.Reserve(ref, 1000)
				if err == nil {
					r.Settle(int64(j))
				}
				switch j % 50 {
				case 0:
					m.Balances(nil)
					m.Lookup(ref)
				case 1:
					_ = m.Flush()
				case 2:
					m.Configure(defs(q))
					c.Advance(time.Millisecond)
				case 3:
					_, _ = m.Refill(ref[0].Name, 5)
				}
			}
		})
	}
	wg.Wait()
}
