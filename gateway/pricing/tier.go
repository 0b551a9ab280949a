package pricing

// serviceTiers is what a reported service tier does to a request's token
// prices, relative to the standard prices of the table. @pydantic/genai-
// prices has no tier data, so the documented multipliers live here:
//
//   - Anthropic "batch": Message Batches are billed at 50% of standard
//     prices, input and output alike
//     (https://docs.anthropic.com/en/docs/about-claude/pricing#batch-processing).
//   - OpenAI "flex": Flex processing is billed at Batch API rates, half
//     the standard price of every token kind, cached input included
//     (https://platform.openai.com/docs/guides/flex-processing,
//     https://openai.com/api/pricing).
//   - "standard" (Anthropic), "default" (OpenAI), "on_demand" (Groq's
//     OpenAI-compatible standard tier) and "auto" (echoed by some
//     compatible upstreams in place of the tier used): standard prices.
//
// Tiers not listed have no single multiplier and are reported unpriced
// ("service_tier:priority"), their tokens priced at standard rates:
// OpenAI "priority" is priced per model (gpt-5 at 2×, gpt-4.1 at 1.75×
// the standard input price), Anthropic Priority Tier by commitment, and
// OpenAI "scale" from prepaid units.
var serviceTiers = map[string]Ratio{
	"":          {1, 1},
	"standard":  {1, 1},
	"default":   {1, 1},
	"auto":      {1, 1},
	"on_demand": {1, 1},
	"batch":     {1, 2},
	"flex":      {1, 2},
}

// ServiceTierMultiplier returns the factor a service tier applies to
// token prices, and false when the tier's effect is unknown.
func ServiceTierMultiplier(tier string) (Ratio, bool) {
	r, ok := serviceTiers[tier]
	if !ok {
		return Ratio{1, 1}, false
	}
	return r, true
}
