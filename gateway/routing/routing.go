package routing

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Route is one way to serve a request: a provider and the model ID to send
// it. FQN ("provider/model") is what grants, quotas and logs use.
type Route struct {
	ProviderID string
	Provider   *config.Provider
	Model      string // model ID as the provider lists it, sent upstream
	FQN        string
}

// FQN joins a provider ID and a model ID into "provider/model".
func FQN(providerID, model string) string { return providerID + "/" + model }

// SplitFQN splits "provider/model" at the first slash; the model part may
// itself contain slashes (OpenRouter's "deepseek/deepseek-r1"). ok is false
// when there is no slash.
func SplitFQN(fqn string) (providerID, model string, ok bool) {
	providerID, model, ok = strings.Cut(fqn, "/")
	if !ok || providerID == "" || model == "" {
		return "", "", false
	}
	return providerID, model, true
}

// Candidates returns the routes that can serve model over api, best first:
// enabled providers that list the model and have api's compatibility flag
// on, by descending preference, ties broken by provider ID so routing is
// deterministic. model is normally a bare model ID; it may also be a
// "provider/model" FQN, which restricts routing to that provider. A bare
// ID that a provider lists verbatim wins over the FQN reading, because
// model IDs may contain slashes themselves.
func Candidates(cfg *config.Config, api config.API, model string) []Route {
	if cfg == nil || model == "" {
		return nil
	}
	var routes []Route
	for id, p := range cfg.Providers {
		if usable(p, api) && p.HasModel(model) {
			routes = append(routes, Route{ProviderID: id, Provider: p, Model: model, FQN: FQN(id, model)})
		}
	}
	if len(routes) == 0 {
		if id, m, ok := SplitFQN(model); ok {
			if p := cfg.Providers[id]; p != nil && usable(p, api) && p.HasModel(m) {
				routes = append(routes, Route{ProviderID: id, Provider: p, Model: m, FQN: model})
			}
		}
	}
	sortRoutes(routes)
	return routes
}

// usable reports whether p takes part in routing for api.
func usable(p *config.Provider, api config.API) bool {
	return p != nil && !p.Disabled && p.Serves(api)
}

// sortRoutes orders routes by descending preference, then provider ID.
func sortRoutes(routes []Route) {
	slices.SortFunc(routes, func(a, b Route) int {
		if c := cmp.Compare(b.Provider.Preference, a.Provider.Preference); c != 0 {
			return c
		}
		return cmp.Compare(a.ProviderID, b.ProviderID)
	})
}
