package quotas

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/pricing"
)

// TestCostDraw checks a stream's output is paid for step by step, from
// the reservation's buckets, until they cannot pay.
func TestCostDraw(t *testing.T) {
	// $1 per million output tokens, no input: 1000 tokens cost $0.001.
	price := pricing.Price{Output: 1_000_000_000, Known: pricing.CompInput | pricing.CompOutput}
	tests := []struct {
		name        string
		choices     int64
		out         int64 // output so far, all choices
		ok          bool
		wantPaid    int64
		wantBalance string
	}{
		{"already paid", 1, 1000, true, 1000, "$0.009"},
		{"one step more", 1, 1001, true, 2000, "$0.008"},
		{"several steps", 1, 4500, true, 5000, "$0.005"},
		{"two choices pay twice", 2, 4000, true, 2000, "$0.006"},
		{"more than the bucket holds", 1, 20_000, false, 10_000, "$0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, newClock(), quota(t, "b", "$0.01", "$0/day"))
			c := Cost{Choices: tt.choices, Price: price}
			first, _ := c.At(1000)
			res, err := m.Reserve([]BucketRef{{"b", "b"}}, first)
			if err != nil {
				t.Fatal(err)
			}
			paid, ok := c.Draw(res, 1000, 1000, tt.out)
			if paid != tt.wantPaid || ok != tt.ok {
				t.Errorf("Draw = %d, %v; want %d, %v", paid, ok, tt.wantPaid, tt.ok)
			}
			if got := balance(t, m, "b"); got != usd(t, tt.wantBalance) {
				t.Errorf("balance %d, want %s", got, tt.wantBalance)
			}
		})
	}
}
