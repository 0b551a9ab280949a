package quotas

import (
	"errors"
	"math"
	"testing"

	"github.com/tsplug/ts-plug/gateway/pricing"
)

// sonnet is $3/M input, $15/M output, $6/M input above 200k tokens.
var sonnet = pricing.Price{
	Input: 3_000_000_000, Output: 15_000_000_000,
	Known:                pricing.CompInput | pricing.CompOutput,
	LongContextThreshold: 200_000,
	LongContext: &pricing.Price{
		Input: 6_000_000_000, Output: 22_500_000_000,
		Known: pricing.CompInput | pricing.CompOutput,
	},
}

func TestEstimate(t *testing.T) {
	noLongOutput := sonnet
	noLongOutput.LongContext = &pricing.Price{Input: 6_000_000_000, Known: pricing.CompInput}
	scaled, err := sonnet.Scale(pricing.Ratio{Num: 11, Den: 10})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		in, maxTokens, reserve int64
		price                  pricing.Price
		want                   int64
		known                  bool
	}{
		{"max_tokens above reserve is capped", 1000, 128_000, 4096, sonnet, 1000*3000 + 4096*15000, true},
		{"max_tokens below reserve", 1000, 100, 4096, sonnet, 1000*3000 + 100*15000, true},
		{"no max_tokens", 1000, 0, 4096, sonnet, 1000*3000 + 4096*15000, true},
		{"reserve 0 counts input only", 1000, 128_000, 0, sonnet, 1000 * 3000, true},
		{"negative inputs are zero", -5, -1, -1, sonnet, 0, true},
		{"long context tier", 300_000, 1000, 4096, sonnet, 300_000*6000 + 1000*22500, true},
		{"long context tier without output falls back to base", 300_000, 1000, 4096, noLongOutput, 300_000*3000 + 1000*15000, true},
		{"multiplier", 1000, 100, 4096, scaled, (1000*3000 + 100*15000) * 11 / 10, true},
		{"free model", 1000, 100, 4096, pricing.Price{Known: pricing.CompInput | pricing.CompOutput}, 0, true},
		{"unknown output price", 1000, 100, 4096, pricing.Price{Input: 1, Known: pricing.CompInput}, 0, false},
		{"unknown price", 1000, 100, 4096, pricing.Price{}, 0, false},
		{"overflow cannot be covered", math.MaxInt64, 100, 4096, sonnet, math.MaxInt64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := Estimate(tt.in, tt.maxTokens, tt.reserve, tt.price)
			if got != tt.want || known != tt.known {
				t.Errorf("Estimate = %d, %v; want %d, %v", got, known, tt.want, tt.known)
			}
		})
	}
}

func TestEstimateInputTokens(t *testing.T) {
	tests := []struct {
		n    int
		want int64
	}{{-1, 0}, {0, 0}, {1, 1}, {4, 1}, {5, 2}, {4000, 1000}, {50 << 20, 50 << 18}}
	for _, tt := range tests {
		if got := EstimateInputTokens(tt.n); got != tt.want {
			t.Errorf("EstimateInputTokens(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// The acceptance test: a Claude Code request (max_tokens 128000)
// is admitted while the bucket covers its reservation at
// reserve_output_tokens 4096, though not its worst case.
func TestHugeMaxTokensAdmitted(t *testing.T) {
	const in, maxTokens, reserve = 20_000, 128_000, 4096
	amount, known := Estimate(in, maxTokens, reserve, sonnet)
	worst, _ := Estimate(in, maxTokens, maxTokens, sonnet)
	if !known || amount != 20_000*3000+4096*15000 || worst <= amount {
		t.Fatalf("estimate %d (known %v), worst case %d", amount, known, worst)
	}
	// The bucket holds exactly two reservations: well below the worst case.
	q := quota(t, "daily:<user>", FormatDollars(2*amount), "$5/day")
	if q.Capacity >= worst {
		t.Fatalf("test bucket %d covers the worst case %d", q.Capacity, worst)
	}
	m := newManager(t, newClock(), q)
	ref := []BucketRef{{"daily:alice", q.Name}}
	r1, err := m.Reserve(ref, amount)
	if err != nil {
		t.Fatalf("first request refused: %v", err)
	}
	r2, err := m.Reserve(ref, amount)
	if err != nil {
		t.Fatalf("second request refused: %v", err)
	}
	_, err = m.Reserve(ref, amount)
	var ex *ExceededError
	if !errors.As(err, &ex) || ex.RetryAfter <= 0 {
		t.Fatalf("third request: %v", err)
	}
	// One answer ran long: charged in full, beyond its reservation.
	r1.Settle(20_000*3000 + 10_000*15000)
	r2.Settle(20_000*3000 + 500*15000)
	if got, want := balance(t, m, "daily:alice"), 2*amount-(40_000*3000+10_500*15000); got != want {
		t.Errorf("balance %d, want %d", got, want)
	}
}
