package pricing

import (
	"math"
	"math/bits"
)

// The int64 arithmetic below is CostDetail's fast path, every step
// checked: it reports false when any step would overflow, and CostDetail
// then takes the exact big.Int path (sumBig), so the result is always the
// same. Real usages (a few million tokens at up to a few hundred dollars
// per million, i.e. ~1e11 nanodollars) never overflow, and this path
// allocates nothing unless something is unpriced: the gateway prices
// every answer, and big.Int cost about 75 allocations each.

// sumInt64 is sumBig in checked int64 arithmetic; false when a step
// would overflow (or the multipliers are negative, which sumBig judges).
func (t *costTerms) sumInt64() (int64, bool) {
	var c checked
	var tokens, fees int64
	for _, x := range t.tokens {
		tokens = c.add(tokens, c.mul(x.n, x.price))
	}
	for _, x := range t.fees {
		fees = c.add(fees, c.mul(c.mul(x.n, x.price), 1000))
	}
	den, sum := int64(1_000_000), tokens
	if tier := t.tier; !tier.IsOne() {
		sum = c.mul(tokens, tier.Num)
		fees = c.mul(fees, tier.Den)
		den = c.mul(den, tier.Den)
	}
	sum = c.add(sum, fees)
	if mult := t.mult; !mult.IsOne() {
		sum = c.mul(sum, mult.Num)
		den = c.mul(den, mult.Den)
	}
	if c.overflow || den <= 0 {
		return 0, false
	}
	// Round half up, as floor((2·sum + den) / (2·den)) but without
	// doubling: one more when the remainder is at least half of den.
	q, r := sum/den, sum%den
	if r >= den-r {
		q++
	}
	return q, true
}

// priceOf is the price the part's count is multiplied by: its own, or its
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
