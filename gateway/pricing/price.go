package pricing

import (
	"math/big"

	"github.com/tsplug/ts-plug/gateway/usage"
)

// Components is a set of price components, used to tell a known price
// (possibly an explicit 0, free) from an unknown one.
type Components uint8

// The price components.
const (
	CompInput Components = 1 << iota
	CompOutput
	CompCacheRead
	CompCacheWrite5m
	CompCacheWrite1h
)

// Has reports whether every component of c2 is in c.
func (c Components) Has(c2 Components) bool { return c&c2 == c2 }

// Price is a model's price in nanodollars per million tokens. A component
// counts only when its bit is set in Known: a missing component is unknown,
// and a cost that needs it is unknown, never silently $0.
type Price struct {
	Input        int64 // base-rate input
	Output       int64 // output, reasoning included
	CacheRead    int64 // prompt-cache reads
	CacheWrite5m int64 // prompt-cache writes with the 5-minute TTL
	CacheWrite1h int64 // prompt-cache writes with the 1-hour TTL
	Known        Components

	// LongContextThreshold and LongContext describe a long-context tier:
	// when a request's total input (base + cache reads + cache writes)
	// exceeds the threshold, every token of it is priced by LongContext
	// (Anthropic Sonnet and Gemini 2.5 Pro above 200k tokens).
	LongContextThreshold int64
	LongContext          *Price

	// Multiplier scales the whole cost exactly (a model_cost_map
	// adjustment); the zero value means 1. It also applies to the
	// long-context tier; the tier's own Multiplier is ignored.
	Multiplier Ratio
}

// tokenMillion is the denominator that turns tokens × (nanodollars per
// million tokens) into nanodollars.
var tokenMillion = big.NewInt(1_000_000)

// Cost returns what usage u costs at price p, in nanodollars, rounded once
// (half up) after exact integer arithmetic. known is false when u reports
// no usage at all or when it has tokens of a kind p has no price for.
func Cost(p Price, u usage.Usage) (nanodollars int64, known bool) {
	if !u.Found {
		return 0, false
	}
	mult := p.Multiplier
	if p.LongContext != nil && p.LongContextThreshold > 0 &&
		nonNeg(u.InputTokens)+nonNeg(u.CachedTokens)+nonNeg(u.CacheCreationTokens) > p.LongContextThreshold {
		p = *p.LongContext
	}
	write5m := nonNeg(u.CacheCreation5mTokens)
	write1h := nonNeg(u.CacheCreation1hTokens)
	// Cache writes without a TTL split are 5-minute writes.
	if rest := nonNeg(u.CacheCreationTokens) - write5m - write1h; rest > 0 {
		write5m += rest
	}
	parts := [...]struct {
		tokens, price int64
		comp          Components
	}{
		{nonNeg(u.InputTokens), p.Input, CompInput},
		{nonNeg(u.OutputTokens), p.Output, CompOutput},
		{nonNeg(u.CachedTokens), p.CacheRead, CompCacheRead},
		{write5m, p.CacheWrite5m, CompCacheWrite5m},
		{write1h, p.CacheWrite1h, CompCacheWrite1h},
	}
	var sum, term, price big.Int
	for _, part := range parts {
		if part.tokens == 0 {
			continue
		}
		if !p.Known.Has(part.comp) || part.price < 0 {
			return 0, false
		}
		term.SetInt64(part.tokens)
		term.Mul(&term, price.SetInt64(part.price))
		sum.Add(&sum, &term)
	}
	den := new(big.Int).Set(tokenMillion)
	if !mult.IsOne() {
		if mult.Num < 0 || mult.Den < 0 {
			return 0, false
		}
		sum.Mul(&sum, big.NewInt(mult.Num))
		den.Mul(den, big.NewInt(mult.Den))
	}
	// Round half up: floor((2·sum + den) / (2·den)).
	sum.Lsh(&sum, 1)
	sum.Add(&sum, den)
	den.Lsh(den, 1)
	sum.Quo(&sum, den)
	if !sum.IsInt64() {
		return 0, false
	}
	return sum.Int64(), true
}

func nonNeg(n int64) int64 {
	if n < 0 {
		return 0
	}
	return n
}

// Scale returns p with its Multiplier multiplied by m.
func (p Price) Scale(m Ratio) (Price, error) {
	if m.IsOne() {
		return p, nil
	}
	r, err := p.Multiplier.Mul(m)
	if err != nil {
		return p, err
	}
	p.Multiplier = r
	return p, nil
}

// PerToken returns component c of p (its long-context tier when long is
// true) as USD per token, an exact decimal string for display (e.g. the
// /v1/models "pricing" object), and false when the component is unknown.
func (p Price) PerToken(c Components, long bool) (string, bool) {
	mult := p.Multiplier
	if long && p.LongContext != nil {
		p = *p.LongContext
	}
	if !p.Known.Has(c) {
		return "", false
	}
	var v int64
	switch c {
	case CompInput:
		v = p.Input
	case CompOutput:
		v = p.Output
	case CompCacheRead:
		v = p.CacheRead
	case CompCacheWrite5m:
		v = p.CacheWrite5m
	case CompCacheWrite1h:
		v = p.CacheWrite1h
	default:
		return "", false
	}
	r := new(big.Rat).SetFrac(big.NewInt(v), big.NewInt(NanosPerDollar*1_000_000))
	r.Mul(r, mult.rat())
	return decimalString(r), true
}

// decimalString renders r exactly when it has a finite decimal expansion
// (always true for prices with decimal multipliers), else with 18 places.
func decimalString(r *big.Rat) string {
	for prec := 0; prec <= 30; prec++ {
		s := r.FloatString(prec)
		if back, ok := new(big.Rat).SetString(s); ok && back.Cmp(r) == 0 {
			return s
		}
	}
	return r.FloatString(18)
}
