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
