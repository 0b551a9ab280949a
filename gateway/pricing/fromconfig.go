package pricing

import (
	"fmt"

	"github.com/tsplug/ts-plug/gateway/config"
)

// FromConfig builds the price resolver of cfg's providers: their cost
// bases, model_cost_map entries and configured prices.
func FromConfig(cfg *config.Config) (*Resolver, error) {
	pp := make(map[string]ProviderPricing, len(cfg.Providers))
	for id, p := range cfg.Providers {
		spec := ProviderPricing{CostBasis: p.EffectiveCostBasis(cfg.AutoCostBasis)}
		for _, m := range p.ModelCostMap {
			adj := Ratio{}
			if m.Adjustment != 0 && m.Adjustment != 1 {
				r, err := RatioFromFloat(m.Adjustment)
				if err != nil {
					return nil, fmt.Errorf("provider %s model_cost_map %q: %w", id, m.Match, err)
				}
				adj = r
			}
			spec.CostMap = append(spec.CostMap, CostMapEntry{Match: m.Match, As: m.As, Adjustment: adj})
		}
		if len(p.Pricing) > 0 {
			spec.Prices = make(map[string]PriceSpec, len(p.Pricing))
			for model, pr := range p.Pricing {
				spec.Prices[model] = priceSpec(pr)
			}
		}
		pp[id] = spec
	}
	return NewResolver(pp)
}

// priceSpec converts a config price. Input and output are always known
// (the config requires them); cache prices are known when set, so an
// unpriced cache read stays unknown rather than free.
func priceSpec(p config.Price) PriceSpec {
	usd := func(v int64) *USD { u := USD(v); return &u }
	s := PriceSpec{Input: usd(p.Input), Output: usd(p.Output)}
	if p.CacheRead != 0 {
		s.CacheRead = usd(p.CacheRead)
	}
	if p.CacheWrite != 0 {
		s.CacheWrite = usd(p.CacheWrite)
	}
	if p.CacheWrite1h != 0 {
		s.CacheWrite1h = usd(p.CacheWrite1h)
	}
	return s
}
