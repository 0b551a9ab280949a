package quotas

import (
	"math"

	"github.com/tsplug/ts-plug/gateway/pricing"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// EstimateInputTokens guesses a request's input tokens from its body size:
// one token per 4 bytes, rounded up. JSON framing, role names and
// whitespace count as tokens here, so for text it errs on the high side;
// base64 images and files are overestimated several times over (the
// excess is refunded at Settle, but can refuse a request when a bucket is
// low).
func EstimateInputTokens(bodyLen int) int64 {
	if bodyLen <= 0 {
		return 0
	}
	return (int64(bodyLen) + 3) / 4
}

// Estimate returns what a request may cost: inputTokens at the input
// price plus outputTokens at the output price, in nanodollars, with the
// price's long-context tier and multiplier applied. The gateway asks it
// with the request's whole output limit (see gateway.hold): that is the
// bound a reservation must cover.
//
// known is false when price lacks an input or output price: the caller
// then reserves 0, which still requires every bucket to be positive, and
// settles with the cost if it can compute one. An estimate too large for
// int64 is math.MaxInt64, which no bucket covers.
func Estimate(inputTokens, outputTokens int64, price pricing.Price) (nanos int64, known bool) {
	if !price.Known.Has(pricing.CompInput | pricing.CompOutput) {
		return 0, false
	}
	out := max(outputTokens, 0)
	u := usage.Usage{Found: true, InputTokens: max(inputTokens, 0), OutputTokens: out}
	if c, ok := pricing.Cost(price, u); ok {
		return c, true
	}
	// The long-context tier may lack a component the base price has; an
	// estimate at the base price beats refusing every long request.
	if price.LongContext != nil {
		base := price
		base.LongContext = nil
		if c, ok := pricing.Cost(base, u); ok {
			return c, true
		}
	}
	return math.MaxInt64, true
}

// A Cost is what a request may cost as a function of its output limit:
// its estimated input tokens, the choices it asks for (each up to the
// limit), its price and the per-call fees (searches) it may run up.
type Cost struct {
	Input   int64
	Choices int64
	Price   pricing.Price
	Fees    int64
}

// At is the cost with out output tokens per choice, and whether the price
// is known. A product too large for int64 costs more than any bucket
// holds.
func (c Cost) At(out int64) (int64, bool) {
	if out > 0 && c.Choices > math.MaxInt64/out {
		return math.MaxInt64, true
	}
	n, ok := Estimate(c.Input, out*c.Choices, c.Price)
	return SatAdd(n, c.Fees), ok
}

// Affordable is the largest output limit, at most limit and at least 1,
// whose cost is within amount. Cost grows with the limit, so a binary
// search finds it.
func (c Cost) Affordable(amount, limit int64) int64 {
	lo, hi := int64(0), limit
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if n, _ := c.At(mid); n <= amount {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return max(lo, 1)
}

// SatAdd is a+b for non-negative a and b, saturating at math.MaxInt64.
func SatAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// SatMul is a*b for non-negative a and b, saturating at math.MaxInt64.
func SatMul(a, b int64) int64 {
	if a > 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// Draw pays, from res, for the output of a stream that no output limit
// bounds as it grows: while out output tokens (all choices, so far) are
// more than paid tokens per choice cover, it holds the cost of step more
// per choice. It returns the output per choice then paid for, and false
// when the buckets cannot pay for out, when the stream must end.
func (c Cost) Draw(res *Reservation, paid, step, out int64) (int64, bool) {
	choices := max(c.Choices, 1)
	for out > SatMul(paid, choices) {
		cur, _ := c.At(paid)
		next, _ := c.At(paid + step)
		if !res.Extend(next - cur) {
			return paid, false
		}
		paid += step
	}
	return paid, true
}

// MinHeldOutputTokens is the least output a request must be able to pay
// for to be admitted when its bucket cannot pay for all it asks: fewer
// would admit requests whose answers are cut after a few words.
const MinHeldOutputTokens = 1024

// OutputBound is the output per choice a request's reservation covers:
// the request's own limit when it sets one (limit >= 0), else the
// model's maximum when that is known, both of which bind the provider;
// else reserveOut, which does not (bounded false), so a stream is
// metered as it passes and draws more (Draw).
func OutputBound(limit, modelMax int64, modelKnown bool, reserveOut int64) (out int64, bounded bool) {
	switch {
	case limit >= 0:
		return limit, true
	case modelKnown:
		return modelMax, true
	}
	return reserveOut, false
}

// Range is what a reservation for output bound out asks (see
// Manager.ReserveRange): want, the cost of the whole bound, and least,
// the cost of MinHeldOutputTokens (out when smaller), below which the
// request is refused. known is false when the price is not.
func (c Cost) Range(out int64) (want, least int64, known bool) {
	want, known = c.At(out)
	least, _ = c.At(min(out, MinHeldOutputTokens))
	return want, least, known
}
