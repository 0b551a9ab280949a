package pricing

import (
	"math"
	"math/bits"

	"github.com/tsplug/ts-plug/gateway/usage"
)

// costDetailInt64 is CostDetail in int64 arithmetic, every step checked:
// fits is false when any step would overflow, and the caller then takes
// the exact big.Int path (costDetailBig), so the result is always the
// same. Real usages (a few million tokens at up to a few hundred dollars
// per million, i.e. ~1e11 nanodollars) never overflow, and this path allocates nothing
// unless something is unpriced: the gateway prices every answer, and
// big.Int cost about 75 allocations each.
func costDetailInt64(p Price, u usage.Usage) (nanos int64, unpriced []string, fits bool) {
	mult, strict := p.Multiplier, p.NoFallback
	if p.LongContext != nil && p.LongContextThreshold > 0 &&
		nonNeg(u.InputTokens)+nonNeg(u.CachedTokens)+nonNeg(u.CacheCreationTokens) > p.LongContextThreshold {
		p = *p.LongContext
	}
	tier, tierKnown := ServiceTierMultiplier(u.ServiceTier)

	var c checked
	var tokens, fees int64
	for _, part := range tokenParts(p, u) {
		if strict.Has(part.comp) {
			part.fallback = 0
		}
		price, ok := part.priceOf(p.Known)
		if !ok {
			unpriced = append(unpriced, part.name)
			continue
		}
		tokens = c.add(tokens, c.mul(part.n, price))
	}
	for _, part := range [2]costPart{
		{n: nonNeg(u.WebSearches), price: p.WebSearchPer1k, comp: CompWebSearch, name: UnpricedWebSearch},
		{n: nonNeg(u.FileSearches), price: p.FileSearchPer1k, comp: CompFileSearch, name: UnpricedFileSearch},
	} {
		price, ok := part.priceOf(p.Known)
		if !ok {
			unpriced = append(unpriced, part.name)
			continue
		}
		// Per 1,000, brought to the tokens' per-million denominator.
		fees = c.add(fees, c.mul(c.mul(part.n, price), 1000))
	}
	if !tierKnown {
		unpriced = append(unpriced, UnpricedTierPrefix+u.ServiceTier)
	}

	den, sum := int64(1_000_000), tokens
	if !tier.IsOne() {
		if tier.Num < 0 || tier.Den < 0 {
			return 0, nil, false
		}
		sum = c.mul(tokens, tier.Num)
		fees = c.mul(fees, tier.Den)
		den = c.mul(den, tier.Den)
	}
	sum = c.add(sum, fees)
	if !mult.IsOne() {
		if mult.Num < 0 || mult.Den < 0 {
			return 0, nil, false // costDetailBig refuses it too
		}
		sum = c.mul(sum, mult.Num)
		den = c.mul(den, mult.Den)
	}
	if c.overflow || den <= 0 {
		return 0, nil, false
	}
	// Round half up, as floor((2·sum + den) / (2·den)) but without
	// doubling: one more when the remainder is at least half of den.
	q, r := sum/den, sum%den
	if r >= den-r {
		q++
	}
	return q, unpriced, true
}

// priceOf is the price cost multiplies n by: the part's own, or its
// fallback's; false when neither is known or the price is negative. A
// zero count is free whatever its price.
func (c costPart) priceOf(known Components) (int64, bool) {
	if c.n == 0 {
		return 0, true
	}
	price := c.price
	switch {
	case known.Has(c.comp):
	case c.fallback != 0 && known.Has(c.fallback):
		price = c.fallbackPrice
	default:
		return 0, false
	}
	if price < 0 {
		return 0, false
	}
	return price, true
}

// checked is int64 arithmetic on non-negative values that remembers an
// overflow instead of wrapping.
type checked struct{ overflow bool }

func (c *checked) mul(a, b int64) int64 {
	if a < 0 || b < 0 {
		c.overflow = true
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		c.overflow = true
		return 0
	}
	return int64(lo)
}

func (c *checked) add(a, b int64) int64 {
	s := a + b
	if a < 0 || b < 0 || s < 0 {
		c.overflow = true
		return 0
	}
	return s
}
