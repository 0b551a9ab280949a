package pricing

import (
	"math/big"

	"github.com/tsplug/ts-plug/gateway/usage"
)

// Components is a set of price components, used to tell a known price
// (possibly an explicit 0, free) from an unknown one.
type Components uint16

// The price components.
const (
	CompInput Components = 1 << iota
	CompOutput
	CompCacheRead
	CompCacheWrite5m
	CompCacheWrite1h
	CompInputAudio
	CompInputImage
	CompInputVideo
	CompCacheReadAudio
	CompOutputAudio
	CompOutputImage
	CompOutputVideo
	CompWebSearch
	CompFileSearch
)

// Has reports whether every component of c2 is in c.
func (c Components) Has(c2 Components) bool { return c&c2 == c2 }

// Price is a model's price in nanodollars per million tokens (per 1,000
// for web and file searches). A component counts only when its bit is set in Known:
// a missing component is unknown, and a cost that needs it is unknown,
// never silently $0.
type Price struct {
	Input        int64 // base-rate input
	Output       int64 // output, reasoning included
	CacheRead    int64 // prompt-cache reads
	CacheWrite5m int64 // prompt-cache writes with the 5-minute TTL
	CacheWrite1h int64 // prompt-cache writes with the 1-hour TTL

	// Token prices by modality. A modality whose price is unknown is
	// priced at its parent's rate (audio input at Input, cached audio at
	// CacheRead, image output at Output...), as @pydantic/genai-prices
	// does: its data lists a separate price only where it differs.
	InputAudio     int64
	InputImage     int64
	InputVideo     int64
	CacheReadAudio int64
	OutputAudio    int64
	OutputImage    int64
	OutputVideo    int64

	// WebSearchPer1k is the fee per 1,000 server-side web searches, on
	// top of the tokens of their results.
	WebSearchPer1k int64
	// FileSearchPer1k is the fee per 1,000 file search tool calls.
	FileSearchPer1k int64

	Known Components
	// NoFallback lists modalities that must not fall back to their
	// parent's rate when unknown: they are reported unpriced instead. It
	// also applies to the long-context tier.
	NoFallback Components

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
// no usage at all or when any part of it cannot be priced (CostDetail
// says which part, and prices the rest).
func Cost(p Price, u usage.Usage) (nanodollars int64, known bool) {
	n, unpriced, ok := CostDetail(p, u)
	if !ok || len(unpriced) > 0 {
		return 0, false
	}
	return n, true
}

// The names CostDetail gives the parts of a usage it could not price.
// A service tier without a known price effect is reported as
// "service_tier:" + the tier.
const (
	UnpricedInput        = "input"
	UnpricedOutput       = "output"
	UnpricedCacheRead    = "cache_read"
	UnpricedCacheWrite5m = "cache_write_5m"
	UnpricedCacheWrite1h = "cache_write_1h"
	UnpricedInputAudio   = "input_audio"
	UnpricedInputImage   = "input_image"
	UnpricedInputVideo   = "input_video"
	UnpricedCachedAudio  = "cache_read_audio"
	UnpricedOutputAudio  = "output_audio"
	UnpricedOutputImage  = "output_image"
	UnpricedOutputVideo  = "output_video"
	UnpricedWebSearch    = "web_search"
	UnpricedFileSearch   = "file_search"
	UnpricedTierPrefix   = "service_tier:"
)

// costPart is one priced quantity of a usage: tokens at a per-million
// price, or searches at a per-1,000 price.
type costPart struct {
	n     int64
	price int64
	comp  Components
	// fallback prices the part when comp is unknown (a modality at its
	// parent's rate); 0 means none.
	fallback      Components
	fallbackPrice int64
	name          string
}

// CostDetail prices usage u at p, like Cost, but prices what it can when
// some part of u has no price: nanos is the cost of the priced parts and
// unpriced names the others (UnpricedInput..., "service_tier:priority"),
// in a fixed order, nil when everything was priced. ok is false only when
// u reports no usage or the cost cannot be computed at all (an overflow, a
// negative multiplier); nanos is then 0.
//
// A row with a non-empty unpriced list costs at least nanos: a service
// tier without a known effect is priced at standard rates.
func CostDetail(p Price, u usage.Usage) (nanos int64, unpriced []string, ok bool) {
	if !u.Found {
		return 0, nil, false
	}
	t := gatherCostTerms(p, u)
	if nanos, fits := t.sumInt64(); fits {
		return nanos, t.unpriced, true
	}
	if nanos, ok = t.sumBig(); !ok {
		return 0, nil, false
	}
	return nanos, t.unpriced, true
}

// costTerms is what CostDetail sums, gathered once for either
// arithmetic: token counts at per-million prices, search counts at
// per-1,000 prices (a part without a price is left zero and named in
// unpriced), the service tier's multiplier of token prices and the
// price's own multiplier.
type costTerms struct {
	tokens     [12]costTerm
	fees       [2]costTerm
	tier, mult Ratio
	unpriced   []string
}

type costTerm struct{ n, price int64 }

func gatherCostTerms(p Price, u usage.Usage) costTerms {
	var t costTerms
	strict := p.NoFallback
	t.mult = p.Multiplier
	if p.LongContext != nil && p.LongContextThreshold > 0 &&
		nonNeg(u.InputTokens)+nonNeg(u.CachedTokens)+nonNeg(u.CacheCreationTokens) > p.LongContextThreshold {
		p = *p.LongContext
	}
	tier, tierKnown := ServiceTierMultiplier(u.ServiceTier)
	t.tier = tier
	for i, part := range tokenParts(p, u) {
		if strict.Has(part.comp) {
			part.fallback = 0
		}
		price, ok := part.priceOf(p.Known)
		if !ok {
			t.unpriced = append(t.unpriced, part.name)
			continue
		}
		t.tokens[i] = costTerm{part.n, price}
	}
	for i, part := range [2]costPart{
		{n: nonNeg(u.WebSearches), price: p.WebSearchPer1k, comp: CompWebSearch, name: UnpricedWebSearch},
		{n: nonNeg(u.FileSearches), price: p.FileSearchPer1k, comp: CompFileSearch, name: UnpricedFileSearch},
	} {
		price, ok := part.priceOf(p.Known)
		if !ok {
			t.unpriced = append(t.unpriced, part.name)
			continue
		}
		t.fees[i] = costTerm{part.n, price}
	}
	if !tierKnown {
		t.unpriced = append(t.unpriced, UnpricedTierPrefix+u.ServiceTier)
	}
	return t
}

// sumBig is the cost of t in nanodollars, exactly:
// round((Σ tokens × tier + Σ fees × 1000) × mult / 1e6), half up. A tier
// changes token prices only: no provider discounts its tool fees. false
// when the multiplier is negative or the result is not an int64.
func (t *costTerms) sumBig() (int64, bool) {
	var tokens, fees, term big.Int
	for _, x := range t.tokens {
		tokens.Add(&tokens, term.Mul(big.NewInt(x.n), big.NewInt(x.price)))
	}
	for _, x := range t.fees {
		// Per 1,000, brought to the tokens' per-million denominator.
		term.Mul(big.NewInt(x.n), big.NewInt(x.price))
		fees.Add(&fees, term.Mul(&term, big.NewInt(1000)))
	}
	den := new(big.Int).Set(tokenMillion)
	sum := new(big.Int)
	if tier := t.tier; !tier.IsOne() {
		sum.Mul(&tokens, big.NewInt(tier.Num))
		fees.Mul(&fees, big.NewInt(tier.Den))
		den.Mul(den, big.NewInt(tier.Den))
	} else {
		sum.Set(&tokens)
	}
	sum.Add(sum, &fees)
	if mult := t.mult; !mult.IsOne() {
		if mult.Num < 0 || mult.Den < 0 {
			return 0, false
		}
		sum.Mul(sum, big.NewInt(mult.Num))
		den.Mul(den, big.NewInt(mult.Den))
	}
	// Round half up: floor((2·sum + den) / (2·den)).
	sum.Lsh(sum, 1)
	sum.Add(sum, den)
	den.Lsh(den, 1)
	sum.Quo(sum, den)
	if !sum.IsInt64() {
		return 0, false
	}
	return sum.Int64(), true
}

// tokenParts splits u into disjoint token counts, each with its price:
// the modality parts are taken out of the count they belong to, and what
// remains of it is priced at the text rate.
func tokenParts(p Price, u usage.Usage) [12]costPart {
	write5m := nonNeg(u.CacheCreation5mTokens)
	write1h := nonNeg(u.CacheCreation1hTokens)
	// Cache writes without a TTL split are 5-minute writes.
	if rest := nonNeg(u.CacheCreationTokens) - write5m - write1h; rest > 0 {
		write5m += rest
	}
	input := nonNeg(u.InputTokens)
	inAudio, inImage, inVideo := take(&input, u.InputAudioTokens), take(&input, u.InputImageTokens), take(&input, u.InputVideoTokens)
	cached := nonNeg(u.CachedTokens)
	cachedAudio := take(&cached, u.CachedAudioTokens)
	output := nonNeg(u.OutputTokens)
	outAudio, outImage, outVideo := take(&output, u.OutputAudioTokens), take(&output, u.OutputImageTokens), take(&output, u.OutputVideoTokens)
	return [12]costPart{
		{n: input, price: p.Input, comp: CompInput, name: UnpricedInput},
		{n: output, price: p.Output, comp: CompOutput, name: UnpricedOutput},
		{n: cached, price: p.CacheRead, comp: CompCacheRead, name: UnpricedCacheRead},
		{n: write5m, price: p.CacheWrite5m, comp: CompCacheWrite5m, name: UnpricedCacheWrite5m},
		{n: write1h, price: p.CacheWrite1h, comp: CompCacheWrite1h, name: UnpricedCacheWrite1h},
		{inAudio, p.InputAudio, CompInputAudio, CompInput, p.Input, UnpricedInputAudio},
		{inImage, p.InputImage, CompInputImage, CompInput, p.Input, UnpricedInputImage},
		{inVideo, p.InputVideo, CompInputVideo, CompInput, p.Input, UnpricedInputVideo},
		{cachedAudio, p.CacheReadAudio, CompCacheReadAudio, CompCacheRead, p.CacheRead, UnpricedCachedAudio},
		{outAudio, p.OutputAudio, CompOutputAudio, CompOutput, p.Output, UnpricedOutputAudio},
		{outImage, p.OutputImage, CompOutputImage, CompOutput, p.Output, UnpricedOutputImage},
		{outVideo, p.OutputVideo, CompOutputVideo, CompOutput, p.Output, UnpricedOutputVideo},
	}
}

// take removes up to n (clamped to what *from holds) from *from and
// returns the amount removed, so parts never outweigh their count.
func take(from *int64, n int64) int64 {
	n = min(nonNeg(n), *from)
	*from -= n
	return n
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
	case CompInputAudio:
		v = p.InputAudio
	case CompInputImage:
		v = p.InputImage
	case CompInputVideo:
		v = p.InputVideo
	case CompCacheReadAudio:
		v = p.CacheReadAudio
	case CompOutputAudio:
		v = p.OutputAudio
	case CompOutputImage:
		v = p.OutputImage
	case CompOutputVideo:
		v = p.OutputVideo
	default: // web searches are priced per search, not per token
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
