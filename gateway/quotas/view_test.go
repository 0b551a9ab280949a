package quotas

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestBalances(t *testing.T) {
	c := newClock()
	daily := quota(t, "daily:<user>", "$10.00", "$5.00/day")
	m := newManager(t, c, daily)
	spend(t, m, BucketRef{"daily:bob", daily.Name}, usd(t, "$2.5"))
	spend(t, m, BucketRef{"daily:alice", daily.Name}, usd(t, "$0.0042"))
	used := c.Now()
	c.Advance(time.Hour)

	all := m.Balances(nil)
	var names []string
	for _, v := range all {
		names = append(names, v.Bucket)
	}
	if !slices.Equal(names, []string{"daily:alice", "daily:bob"}) {
		t.Fatalf("buckets = %v", names)
	}
	bob := m.Balances(func(b string) bool { return b == "daily:bob" })
	want := BalanceView{
		Bucket: "daily:bob", Definition: "daily:<user>",
		BalanceNanos: usd(t, "$7.5") + 208_333_333, CapacityNanos: usd(t, "$10"),
		Rate: "$5.00/day", RefillPerSecondNanos: 5e9 / 86400,
		Updated: used, Balance: "$7.708333333", Capacity: "$10.00",
		// $2.291666667 at $5/day is 11h and 5.76µs: rounded up, 11h0m1s.
		FullIn: 11*time.Hour + time.Second, FullAt: c.Now().Add(11*time.Hour + time.Second),
	}
	if len(bob) != 1 || bob[0] != want {
		t.Errorf("bob = %+v\nwant %+v", bob, want)
	}
}

func TestLookup(t *testing.T) {
	c := newClock()
	daily := quota(t, "daily:<user>", "$10", "$5/day")
	bad := &config.Quota{Name: "bad", Rate: "$1/ever", Err: errors.New("unknown unit")}
	m := newManager(t, c, daily, bad)
	spend(t, m, BucketRef{"daily:alice", daily.Name}, usd(t, "$1"))
	before := m.Balances(nil)

	got := m.Lookup([]BucketRef{
		{"daily:alice", daily.Name},
		{"daily:carol", daily.Name},
		{"daily:alice", daily.Name},
		{"bad", "bad"},
		{"gone", "gone"},
	})
	if len(got) != 4 {
		t.Fatalf("Lookup = %+v", got)
	}
	if got[0].BalanceNanos != usd(t, "$9") || got[1].BalanceNanos != usd(t, "$10") || got[1].Invalid != "" {
		t.Errorf("valid buckets: %+v, %+v", got[0], got[1])
	}
	if got[2].Invalid != "unknown unit" || got[3].Invalid == "" || got[3].Bucket != "gone" {
		t.Errorf("invalid buckets: %+v, %+v", got[2], got[3])
	}
	if after := m.Balances(nil); !slices.Equal(before, after) {
		t.Errorf("Lookup changed the buckets: %+v", after)
	}
}

// The dashboard shows what requests in flight hold, from the moment they
// reserve until they settle, and when the bucket will be full again.
func TestLookupHeldAndFull(t *testing.T) {
	c := newClock()
	daily := quota(t, "daily:<user>", "$10", "$5/day")
	m := newManager(t, c, daily)
	ref := BucketRef{"daily:alice", daily.Name}
	look := func() BalanceView {
		t.Helper()
		vs := m.Lookup([]BucketRef{ref})
		if len(vs) != 1 {
			t.Fatalf("Lookup = %+v", vs)
		}
		return vs[0]
	}
	if v := look(); v.ReservedNanos != 0 || v.FullIn != 0 || !v.FullAt.IsZero() || v.NeverRefills {
		t.Errorf("unused bucket = %+v, want full with nothing held", v)
	}
	r, err := m.Reserve([]BucketRef{ref}, usd(t, "$2.5"))
	if err != nil {
		t.Fatal(err)
	}
	// Held money counts as spent: $2.50 short at $5/day is 12 hours.
	v := look()
	if v.ReservedNanos != usd(t, "$2.5") || v.BalanceNanos != usd(t, "$7.5") ||
		v.FullIn != 12*time.Hour || !v.FullAt.Equal(c.Now().Add(12*time.Hour)) {
		t.Errorf("while held = %+v", v)
	}
	c.Advance(3 * time.Hour)
	r.Settle(usd(t, "$1"))
	// Settled at $1: $1.50 back, $1 spent and $0.625 refilled since.
	v = look()
	if v.ReservedNanos != 0 || v.BalanceNanos != usd(t, "$9.625") ||
		v.FullIn != 1*time.Hour+48*time.Minute || !v.FullAt.Equal(c.Now().Add(108*time.Minute)) {
		t.Errorf("after settle = %+v", v)
	}
}

func TestUntilFull(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	daily := quota(t, "d", "$10", "$5/day")
	never := quota(t, "n", "$10", "$0/day")
	tests := []struct {
		name      string
		q         *config.Quota
		balance   int64
		capacity  int64
		invalid   string
		wantIn    time.Duration
		wantNever bool
	}{
		{"full", daily, usd(t, "$10"), usd(t, "$10"), "", 0, false},
		{"half", daily, usd(t, "$5"), usd(t, "$10"), "", 24 * time.Hour, false},
		{"below zero", daily, -usd(t, "$5"), usd(t, "$10"), "", 72 * time.Hour, false},
		{"dust rounds up to a second", daily, usd(t, "$10") - 1, usd(t, "$10"), "", time.Second, false},
		{"never refills", never, usd(t, "$5"), usd(t, "$10"), "", 0, true},
		{"never refills but full", never, usd(t, "$10"), usd(t, "$10"), "", 0, false},
		{"invalid shows nothing", daily, usd(t, "$5"), usd(t, "$10"), "unknown unit", 0, false},
		{"deficit overflows", daily, math.MinInt64, usd(t, "$10"), "", math.MaxInt64, false},
	}
	for _, tt := range tests {
		v := BalanceView{BalanceNanos: tt.balance, CapacityNanos: tt.capacity, Invalid: tt.invalid}
		v.untilFull(tt.q, now)
		wantAt := time.Time{}
		if tt.wantIn > 0 {
			wantAt = now.Add(tt.wantIn)
		}
		if v.FullIn != tt.wantIn || !v.FullAt.Equal(wantAt) || v.NeverRefills != tt.wantNever {
			t.Errorf("%s: FullIn %v, FullAt %v, NeverRefills %v; want %v, %v, %v",
				tt.name, v.FullIn, v.FullAt, v.NeverRefills, tt.wantIn, wantAt, tt.wantNever)
		}
	}
}

func TestRefill(t *testing.T) {
	c := newClock()
	q := quota(t, "q", "$10", "$1/day")
	m := newManager(t, c, q)
	spend(t, m, BucketRef{"q", "q"}, usd(t, "$8"))
	tests := []struct {
		name    string
		bucket  string
		amount  int64
		want    int64
		wantErr error
	}{
		{"adds", "q", usd(t, "$5"), usd(t, "$7"), nil},
		{"up to capacity", "q", usd(t, "$5"), usd(t, "$10"), nil},
		{"huge amount", "q", math.MaxInt64, usd(t, "$10"), nil},
		{"unknown bucket", "nope", usd(t, "$1"), 0, ErrUnknownBucket},
		{"zero", "q", 0, 0, errors.New("not positive")},
	}
	for _, tt := range tests {
		v, err := m.Refill(tt.bucket, tt.amount)
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != nil && err == nil:
			t.Errorf("%s: no error", tt.name)
		case errors.Is(tt.wantErr, ErrUnknownBucket) && !errors.Is(err, ErrUnknownBucket):
			t.Errorf("%s: err = %v, want ErrUnknownBucket", tt.name, err)
		case tt.wantErr == nil && (v.BalanceNanos != tt.want || balance(t, m, tt.bucket) != tt.want):
			t.Errorf("%s: balance %d, want %d", tt.name, v.BalanceNanos, tt.want)
		}
	}
}

func TestFormatDollars(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "$0.00"},
		{10_000_000_000, "$10.00"},
		{4_200_000, "$0.0042"},
		{-500_000_000, "-$0.50"},
		{1, "$0.000000001"},
		{123_456_789_012, "$123.456789012"},
		{math.MinInt64, "-$9223372036.854775808"},
		{math.MaxInt64, "$9223372036.854775807"},
	}
	for _, tt := range tests {
		if got := FormatDollars(tt.n); got != tt.want {
			t.Errorf("FormatDollars(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
