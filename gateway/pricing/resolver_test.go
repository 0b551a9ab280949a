package pricing

import (
	"fmt"
	"testing"

	"github.com/tsplug/ts-plug/gateway/usage"
)

func mustUSD(s string) *USD {
	u := USD(usd(s))
	return &u
}

func TestResolver(t *testing.T) {
	r, err := NewResolver(map[string]ProviderPricing{
		"anthropic": {CostBasis: "anthropic"},
		"openai": {
			CostBasis: "openai",
			Prices: map[string]PriceSpec{
				// An explicit price wins over the built-in table.
				"gpt-4o": {Input: mustUSD("2"), Output: mustUSD("8")},
				"house":  {Input: mustUSD("1"), Output: mustUSD("1")},
			},
			CostMap: []CostMapEntry{
				{Match: "ft:gpt-4o-mini:*", As: "gpt-4o-mini", Adjustment: Ratio{2, 1}},
				{Match: "ft:*", As: "gpt-4.1", Adjustment: Ratio{11, 10}},
				{Match: "my-gpt-4o", As: "gpt-4o"}, // As priced from the explicit map
				{Match: "ghost-*", As: "no-such-model"},
				{Match: "house-*", As: "house"},
			},
		},
		"local": {}, // self-hosted: no cost basis
	})
	if err != nil {
		t.Fatal(err)
	}
	u := usage.Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000, Found: true}
	tests := []struct {
		provider, model string
		wantCost        int64
		wantBasis       string
		wantKnown       bool
	}{
		{"anthropic", "claude-haiku-4-5", usd("6"), "anthropic/claude-haiku-4-5", true},
		{"openai", "gpt-4o", usd("10"), "openai/gpt-4o", true},                        // explicit $2+$8, not built-in $2.50+$10
		{"openai", "gpt-4o-mini", usd("0.75"), "openai/gpt-4o-mini", true},            // built-in
		{"openai", "ft:gpt-4o-mini:acme:123", usd("1.5"), "openai/gpt-4o-mini", true}, // first rule: ×2
		{"openai", "ft:gpt-4.1:acme:123", usd("11"), "openai/gpt-4.1", true},          // ($2+$8)×1.1 exactly
		{"openai", "my-gpt-4o", usd("10"), "openai/gpt-4o", true},                     // rule → explicit price
		{"openai", "house-v2", usd("2"), "openai/house", true},                        // rule → explicit-only model
		{"openai", "ghost-1", 0, "", false},                                           // rule to an unknown model stays unknown
		{"openai", "llama-3", 0, "", false},                                           // no rule, not built-in
		{"local", "gpt-4o", 0, "", false},                                             // no cost basis: no built-in prices
		{"nonesuch", "gpt-4o", 0, "", false},                                          // unknown provider
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.model, func(t *testing.T) {
			cost, basis, known := r.Cost(tt.provider, tt.model, u)
			if cost != tt.wantCost || basis != tt.wantBasis || known != tt.wantKnown {
				t.Errorf("Cost = %d %q %v; want %d %q %v", cost, basis, known, tt.wantCost, tt.wantBasis, tt.wantKnown)
			}
		})
	}
}

func TestResolverPartialExplicitPriceStaysUnknown(t *testing.T) {
	r, err := NewResolver(map[string]ProviderPricing{
		"p": {CostBasis: "openai", Prices: map[string]PriceSpec{"gpt-4o": {Input: mustUSD("2")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The explicit price wins as a whole: its missing output price is not
	// filled from the table, and not taken as $0.
	if _, _, known := r.Cost("p", "gpt-4o", usage.Usage{InputTokens: 1, OutputTokens: 1, Found: true}); known {
		t.Error("cost with an unknown output price reported as known")
	}
}

func TestNewResolverErrors(t *testing.T) {
	tests := []map[string]ProviderPricing{
		{"p": {CostMap: []CostMapEntry{{Match: "[", As: "x"}}}},
		{"p": {CostMap: []CostMapEntry{{Match: "*", As: ""}}}},
		{"p": {CostMap: []CostMapEntry{{Match: "*", As: "x", Adjustment: Ratio{-1, 1}}}}},
	}
	for i, tt := range tests {
		if _, err := NewResolver(tt); err == nil {
			t.Errorf("case %d: want error", i)
		}
	}
}

func TestParseCostMapEntry(t *testing.T) {
	e, err := ParseCostMapEntry("my-*", " claude-sonnet-4-5 ", "1.25")
	if err != nil || e.As != "claude-sonnet-4-5" || e.Adjustment != (Ratio{5, 4}) {
		t.Errorf("got %+v, %v", e, err)
	}
	if e, err := ParseCostMapEntry("x", "y", ""); err != nil || !e.Adjustment.IsOne() {
		t.Errorf("empty adjustment: %+v, %v", e, err)
	}
	if _, err := ParseCostMapEntry("x", "y", "abc"); err == nil {
		t.Error("want error")
	}
}

func TestNilResolver(t *testing.T) {
	var r *Resolver
	if _, ok := r.Resolve("openai", "gpt-4o"); ok {
		t.Error("nil resolver priced a model with no cost basis")
	}
}

// TestResolveMemoized: every metered request resolves its price twice;
// after the first, a quote is a lookup that allocates nothing (its basis
// string took one each time), equal to working it out afresh, and the
// memo stops growing at maxQuotes.
func TestResolveMemoized(t *testing.T) {
	r, err := NewResolver(map[string]ProviderPricing{
		"openai": {CostBasis: "openai"},
		"mapped": {CostBasis: "anthropic", CostMap: []CostMapEntry{{Match: "my-*", As: "claude-sonnet-4-5"}}},
		"self":   {Prices: map[string]PriceSpec{"*": {Input: mustUSD("1"), Output: mustUSD("2")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ provider, model string }{
		{"openai", "gpt-4o"}, {"mapped", "my-model"}, {"self", "llama"}, {"openai", "no-such-model"}, {"none", "gpt-4o"},
	} {
		want, wantOK := r.resolve(tt.provider, tt.model)
		for range 2 { // computed, then memoized
			if q, ok := r.Resolve(tt.provider, tt.model); q != want || ok != wantOK {
				t.Errorf("Resolve(%s, %s) = %+v %v, want %+v %v", tt.provider, tt.model, q, ok, want, wantOK)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { r.Resolve("openai", "gpt-4o") }); n != 0 {
		t.Errorf("a memoized Resolve allocates %v times", n)
	}
	for i := range maxQuotes + 10 {
		r.Resolve("self", fmt.Sprint("model-", i))
	}
	if n := r.nquotes.Load(); n != maxQuotes {
		t.Errorf("%d quotes kept, want %d", n, maxQuotes)
	}
	var nilResolver *Resolver
	if _, ok := nilResolver.Resolve("openai", "gpt-4o"); ok {
		t.Error("a nil Resolver priced a model")
	}
}
