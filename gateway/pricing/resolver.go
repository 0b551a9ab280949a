package pricing

import (
	"fmt"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tsplug/ts-plug/gateway/usage"
)

// CostMapEntry is one model_cost_map rule of a provider: models whose id
// matches the path.Match glob Match are priced as the known model As, times
// Adjustment (zero value: 1).
type CostMapEntry struct {
	Match      string
	As         string
	Adjustment Ratio
}

// ProviderPricing is what a provider's config says about its prices.
type ProviderPricing struct {
	// CostBasis names the built-in table ("openai", "anthropic",
	// "gemini", ...), already inferred (InferCostBasis) when the config
	// left it unset and auto_cost_basis is on; "" means no built-in
	// prices.
	CostBasis string
	// CostMap is the ordered model_cost_map: the first match wins.
	CostMap []CostMapEntry
	// Prices are explicit per-model prices; they win over the built-in
	// table, for a model id itself and for the As of a CostMap rule.
	Prices map[string]PriceSpec
}

// Resolver answers "what does this model cost on this provider", applying
// a provider's overrides before the built-in table. The zero value uses no
// overrides. A Resolver is immutable once built and safe for concurrent use.
type Resolver struct {
	providers map[string]ProviderPricing

	// quotes memoizes Resolve, which every metered request calls twice
	// (its hold, then its cost): the answer depends only on providers,
	// fixed once built. At most maxQuotes are kept, since a provider
	// may accept model names of the caller's choosing.
	quotes  sync.Map // quoteKey -> quoteResult
	nquotes atomic.Int64
}

// maxQuotes bounds Resolver.quotes; past it Resolve works each quote out
// afresh.
const maxQuotes = 1024

type quoteKey struct{ provider, model string }

type quoteResult struct {
	q  Quote
	ok bool
}

// NewResolver returns a resolver for the given providers, keyed by
// provider id. It checks the model_cost_map globs.
func NewResolver(providers map[string]ProviderPricing) (*Resolver, error) {
	r := &Resolver{providers: make(map[string]ProviderPricing, len(providers))}
	for id, p := range providers {
		for i, e := range p.CostMap {
			if _, err := path.Match(e.Match, ""); err != nil {
				return nil, fmt.Errorf("provider %q model_cost_map[%d]: bad match %q: %w", id, i, e.Match, err)
			}
			if e.As == "" {
				return nil, fmt.Errorf("provider %q model_cost_map[%d]: empty \"as\"", id, i)
			}
			if e.Adjustment.Den < 0 || e.Adjustment.Num < 0 {
				return nil, fmt.Errorf("provider %q model_cost_map[%d]: negative adjustment", id, i)
			}
		}
		r.providers[id] = p
	}
	return r, nil
}

// Quote is a resolved price and where it came from.
type Quote struct {
	Price Price
	// Basis is "<cost basis>/<model priced as>", the CostEstimate
	// cost_basis string (e.g. "anthropic/claude-sonnet-4-5").
	Basis string
}

// Resolve returns the price of model on provider. Order: the provider's
// explicit price for the model; else its first matching model_cost_map
// rule, priced as the rule's model (explicit price first, then the
// built-in table) times the adjustment; else the built-in table of the
// provider's cost basis; else the provider's "*" price. ok is false when
// none applies: the cost is then unknown, not zero.
func (r *Resolver) Resolve(provider, model string) (q Quote, ok bool) {
	if r == nil {
		return r.resolve(provider, model)
	}
	key := quoteKey{provider, model}
	if v, hit := r.quotes.Load(key); hit {
		res := v.(quoteResult)
		return res.q, res.ok
	}
	q, ok = r.resolve(provider, model)
	if r.nquotes.Load() < maxQuotes {
		if _, loaded := r.quotes.LoadOrStore(key, quoteResult{q, ok}); !loaded {
			r.nquotes.Add(1)
		}
	}
	return q, ok
}

// resolve is Resolve without its memo.
func (r *Resolver) resolve(provider, model string) (q Quote, ok bool) {
	var p ProviderPricing
	if r != nil {
		p = r.providers[provider]
	}
	basis := p.CostBasis
	if basis == "" {
		basis = provider
	}
	if spec, ok := p.Prices[model]; ok {
		return Quote{Price: spec.Price(), Basis: basis + "/" + model}, true
	}
	for _, e := range p.CostMap {
		if m, _ := path.Match(e.Match, model); !m {
			continue
		}
		price, ok := p.base(e.As)
		if !ok {
			return Quote{}, false // first match wins, even when it is unpriced
		}
		price, err := price.Scale(e.Adjustment)
		if err != nil {
			return Quote{}, false
		}
		return Quote{Price: price, Basis: basis + "/" + e.As}, true
	}
	price, ok := p.base(model)
	if !ok {
		// The provider's fallback price, for the models no table knows
		// (a self-hosted or brand-new one): without it they cannot be
		// charged to a spending limit.
		if spec, ok := p.Prices["*"]; ok {
			return Quote{Price: spec.Price(), Basis: basis + "/*"}, true
		}
		return Quote{}, false
	}
	return Quote{Price: price, Basis: basis + "/" + model}, true
}

// base is the price of model before model_cost_map: explicit, then built-in.
func (p ProviderPricing) base(model string) (Price, bool) {
	if spec, ok := p.Prices[model]; ok {
		return spec.Price(), true
	}
	if p.CostBasis == "" {
		return Price{}, false
	}
	return Lookup(p.CostBasis, model)
}

// Cost resolves the price of model on provider and applies it to u. known
// is false when the model has no price or u needs a component it lacks.
func (r *Resolver) Cost(provider, model string, u usage.Usage) (nanodollars int64, basis string, known bool) {
	q, ok := r.Resolve(provider, model)
	if !ok {
		return 0, "", false
	}
	n, ok := Cost(q.Price, u)
	return n, q.Basis, ok
}

// CostDetail resolves the price of model on provider and applies it to u
// with CostDetail: what could be priced, and the names of the parts that
// could not (for the ledger's unpriced column). known is false when the
// model has no price or u reports no usage; a known cost with a non-empty
// unpriced list is a lower bound.
func (r *Resolver) CostDetail(provider, model string, u usage.Usage) (nanodollars int64, basis string, unpriced []string, known bool) {
	q, ok := r.Resolve(provider, model)
	if !ok {
		return 0, "", nil, false
	}
	n, unpriced, ok := CostDetail(q.Price, u)
	return n, q.Basis, unpriced, ok
}

// ParseCostMapEntry builds a CostMapEntry from config strings; adjustment
// "" means 1.
func ParseCostMapEntry(match, as, adjustment string) (CostMapEntry, error) {
	e := CostMapEntry{Match: match, As: strings.TrimSpace(as)}
	if adjustment != "" {
		r, err := ParseRatio(adjustment)
		if err != nil {
			return e, fmt.Errorf("model_cost_map %q: %w", match, err)
		}
		e.Adjustment = r
	}
	return e, nil
}
