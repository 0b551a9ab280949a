package pricing

import (
	"math"
	"testing"

	"github.com/tsplug/ts-plug/gateway/usage"
)

const allComps = CompInput | CompOutput | CompCacheRead | CompCacheWrite5m | CompCacheWrite1h

// sonnet45 is Claude Sonnet 4.5 as documented: $3/$15, cache read $0.30,
// 5m write $3.75, 1h write $6; above 200k input $6/$22.50.
var sonnet45 = Price{
	Input: 3_000_000_000, Output: 15_000_000_000, CacheRead: 300_000_000,
	CacheWrite5m: 3_750_000_000, CacheWrite1h: 6_000_000_000, Known: allComps,
	LongContextThreshold: 200_000,
	LongContext: &Price{
		Input: 6_000_000_000, Output: 22_500_000_000, CacheRead: 600_000_000,
		CacheWrite5m: 7_500_000_000, CacheWrite1h: 12_000_000_000, Known: allComps,
	},
}

func TestCost(t *testing.T) {
	frac := Price{Input: 400_000, Output: 400_000, CacheRead: 400_000, Known: CompInput | CompOutput | CompCacheRead} // 0.4 n$/token
	tests := []struct {
		name      string
		p         Price
		u         usage.Usage
		want      int64
		wantKnown bool
	}{
		{"100k input at $3/M", sonnet45, usage.Usage{InputTokens: 100_000, Found: true}, 300_000_000, true},
		{"every component", sonnet45, usage.Usage{
			InputTokens: 1000, CachedTokens: 20_000, CacheCreationTokens: 3000, CacheCreation5mTokens: 1000,
			CacheCreation1hTokens: 2000, OutputTokens: 500, Found: true},
			// 1000×3 + 20000×0.3 + 1000×3.75 + 2000×6 + 500×15 = 3000+6000+3750+12000+7500 µ$ = 32250 µ$
			32_250_000, true},
		{"cache writes without split are 5m", sonnet45, usage.Usage{CacheCreationTokens: 1000, Found: true}, 3_750_000, true},
		// 9 tokens × $0.30/M is exactly 2700 n$; float64 gives 2699.999…
		{"float trap", sonnet45, usage.Usage{CachedTokens: 9, Found: true}, 2700, true},
		{"rounded once, not per component", frac, usage.Usage{InputTokens: 1, OutputTokens: 1, CachedTokens: 1, Found: true}, 1, true},
		{"half up", Price{Input: 500_000, Known: CompInput}, usage.Usage{InputTokens: 1, Found: true}, 1, true},
		{"2.5 rounds up to 3", Price{Input: 2_500_000, Known: CompInput}, usage.Usage{InputTokens: 1, Found: true}, 3, true},
		{"below half down", Price{Input: 499_999, Known: CompInput}, usage.Usage{InputTokens: 1, Found: true}, 0, true},
		{"at threshold: base tier", sonnet45, usage.Usage{InputTokens: 100_000, CachedTokens: 100_000, Found: true}, 330_000_000, true},
		{"over threshold counting cache: long tier", sonnet45, usage.Usage{InputTokens: 100_000, CachedTokens: 100_000, CacheCreationTokens: 1, CacheCreation5mTokens: 1, OutputTokens: 1000, Found: true},
			// 100000×6 + 100000×0.6 + 1×7.5 + 1000×22.5 µ$
			600_000_000 + 60_000_000 + 7_500 + 22_500_000, true},
		{"adjustment applied exactly", Price{Input: 3_000_000_000, Known: CompInput, Multiplier: Ratio{11, 10}},
			usage.Usage{InputTokens: 1_000_000, Found: true}, 3_300_000_000, true},
		{"adjustment then one rounding", Price{Input: 1_000_000, Known: CompInput, Multiplier: Ratio{1, 3}},
			usage.Usage{InputTokens: 2, Found: true}, 1, true}, // 2/3 n$ → 1
		{"explicit zero is free", Price{Known: allComps}, usage.Usage{InputTokens: 5, OutputTokens: 5, Found: true}, 0, true},
		{"unknown component needed", Price{Input: 1, Output: 1, Known: CompInput | CompOutput}, usage.Usage{InputTokens: 5, CachedTokens: 1, Found: true}, 0, false},
		{"unknown component not needed", Price{Input: 1_000_000, Output: 1, Known: CompInput | CompOutput}, usage.Usage{InputTokens: 5, Found: true}, 5, true},
		{"1h write price unknown", Price{Input: 1, CacheWrite5m: 1, Known: CompInput | CompCacheWrite5m}, usage.Usage{CacheCreationTokens: 2, CacheCreation1hTokens: 2, Found: true}, 0, false},
		{"no usage reported", sonnet45, usage.Usage{}, 0, false},
		{"found but zero tokens", sonnet45, usage.Usage{Found: true}, 0, true},
		{"overflow is unknown, not wrapped", sonnet45, usage.Usage{OutputTokens: math.MaxInt64, Found: true}, 0, false},
		{"negative tokens ignored", sonnet45, usage.Usage{InputTokens: -1_000_000, OutputTokens: 1_000_000, Found: true}, 15_000_000_000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := Cost(tt.p, tt.u)
			if got != tt.want || known != tt.wantKnown {
				t.Errorf("Cost = %d, %v; want %d, %v", got, known, tt.want, tt.wantKnown)
			}
		})
	}
}

// TestCostFloatTrapIsReal documents that the float trap case above would
// really fail with naive float arithmetic.
func TestCostFloatTrapIsReal(t *testing.T) {
	price, tokens := 0.30, 9.0 // $/M
	naive := int64(tokens * price / 1e6 * 1e9)
	if naive == 2700 {
		t.Fatal("expected naive float arithmetic to truncate to 2699")
	}
	if got, _ := Cost(sonnet45, usage.Usage{CachedTokens: 9, Found: true}); got != 2700 {
		t.Errorf("Cost = %d, want 2700 (naive float: %d)", got, naive)
	}
}

func TestPerToken(t *testing.T) {
	tests := []struct {
		c    Components
		long bool
		mult Ratio
		want string
		ok   bool
	}{
		{CompInput, false, Ratio{}, "0.000003", true},
		{CompCacheRead, false, Ratio{}, "0.0000003", true},
		{CompOutput, true, Ratio{}, "0.0000225", true},
		{CompInput, false, Ratio{11, 10}, "0.0000033", true},
	}
	for _, tt := range tests {
		p := sonnet45
		p.Multiplier = tt.mult
		got, ok := p.PerToken(tt.c, tt.long)
		if got != tt.want || ok != tt.ok {
			t.Errorf("PerToken(%v, %v) = %q, %v; want %q", tt.c, tt.long, got, ok, tt.want)
		}
	}
	if _, ok := (Price{Known: CompInput}).PerToken(CompOutput, false); ok {
		t.Error("unknown component reported as known")
	}
}
