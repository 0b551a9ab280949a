package pricing

import "github.com/tsplug/ts-plug/gateway/config"

// InferCostBasis is the cost basis auto_cost_basis infers for a provider
// that speaks compat at baseURL and sets no cost_basis.
//
// Deprecated: the gateway calls config.Provider.EffectiveCostBasis, which
// this only wraps; it stays until gateway/config's default-models test
// calls that instead.
func InferCostBasis(compat map[config.API]bool, baseURL string) string {
	p := config.Provider{Compatibility: compat, BaseURL: baseURL}
	return p.EffectiveCostBasis(true)
}
