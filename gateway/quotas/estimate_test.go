package quotas

import (
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
		name    string
		in, out int64
		price   pricing.Price
		want    int64
		known   bool
	}{
		{"input and output", 1000, 100, sonnet, 1000*3000 + 100*15000, true},
		{"a 128k output limit is held whole", 1000, 128_000, sonnet, 1000*3000 + 128_000*15000, true},
		{"no output counts input only", 1000, 0, sonnet, 1000 * 3000, true},
		{"negative inputs are zero", -5, -1, sonnet, 0, true},
		{"long context tier", 300_000, 1000, sonnet, 300_000*6000 + 1000*22500, true},
		{"long context tier without output falls back to base", 300_000, 1000, noLongOutput, 300_000*3000 + 1000*15000, true},
		{"multiplier", 1000, 100, scaled, (1000*3000 + 100*15000) * 11 / 10, true},
		{"free model", 1000, 100, pricing.Price{Known: pricing.CompInput | pricing.CompOutput}, 0, true},
		{"unknown output price", 1000, 100, pricing.Price{Input: 1, Known: pricing.CompInput}, 0, false},
		{"unknown price", 1000, 100, pricing.Price{}, 0, false},
		{"overflow cannot be covered", math.MaxInt64, 100, sonnet, math.MaxInt64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := Estimate(tt.in, tt.out, tt.price)
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

// TestCostAffordable: the largest limit within the amount, at least 1,
// and a product past int64 costs more than any amount.
func TestCostAffordable(t *testing.T) {
	p := sonnet
	c := Cost{Input: 1000, Choices: 1, Price: p}
	at100, ok := c.At(100)
	if !ok || at100 <= 0 {
		t.Fatalf("At(100) = %d, %v", at100, ok)
	}
	if got := c.Affordable(at100, 1000); got != 100 {
		t.Errorf("Affordable(cost of 100) = %d, want 100", got)
	}
	if got := c.Affordable(at100-1, 1000); got != 99 {
		t.Errorf("Affordable(just under the cost of 100) = %d, want 99", got)
	}
	if got := c.Affordable(0, 1000); got != 1 {
		t.Errorf("Affordable(0) = %d, want 1", got)
	}
	if n, _ := (Cost{Choices: math.MaxInt64, Price: p}).At(2); n != math.MaxInt64 {
		t.Errorf("overflowing cost = %d, want MaxInt64", n)
	}
	if SatAdd(math.MaxInt64, 1) != math.MaxInt64 || SatMul(math.MaxInt64, 2) != math.MaxInt64 || SatMul(3, 4) != 12 {
		t.Error("saturating arithmetic")
	}
}
