package routing

import (
	"slices"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
)

// ModelInfo is one entry of the GET /v1/models listing.
type ModelInfo struct {
	ID         string // model ID as clients send it
	FQN        string // "provider/model"
	ProviderID string
	Provider   *config.Provider
	APIs       []config.API // APIs the provider speaks, in config.APIs order
}

// Endpoints returns the client-facing paths for the model's APIs (the
// "supported_endpoints" of the listing). Gemini's path embeds the model.
func (m ModelInfo) Endpoints() []string {
	out := make([]string, 0, len(m.APIs))
	for _, api := range m.APIs {
		if p := Endpoint(api, m.ID); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Endpoint returns the request path clients use for api and model.
func Endpoint(api config.API, model string) string {
	switch api {
	case config.OpenAIChat:
		return "/v1/chat/completions"
	case config.OpenAIResponses:
		return "/v1/responses"
	case config.AnthropicMessages:
		return "/v1/messages"
	case config.GeminiGenerateContent:
		return "/v1beta/models/" + model + ":generateContent"
	}
	return ""
}

// Models lists every (provider, model) pair the caller may use: models of
// enabled providers that speak at least one API, filtered by
// access.AllowsModel; a nil access allows nothing (deny by default).
// Providers come by descending preference then ID, models in config order.
func Models(cfg *config.Config, access *grants.Access) []ModelInfo {
	if cfg == nil {
		return nil
	}
	var provs []Route // reuse the route ordering for providers
	for id, p := range cfg.Providers {
		if p != nil && !p.Disabled {
			provs = append(provs, Route{ProviderID: id, Provider: p})
		}
	}
	sortRoutes(provs)
	var out []ModelInfo
	for _, r := range provs {
		var apis []config.API
		for _, api := range config.APIs {
			if r.Provider.Serves(api) {
				apis = append(apis, api)
			}
		}
		if len(apis) == 0 {
			continue
		}
		for _, m := range r.Provider.Models {
			fqn := FQN(r.ProviderID, m)
			if !access.AllowsModel(fqn) {
				continue
			}
			out = append(out, ModelInfo{ID: m, FQN: fqn, ProviderID: r.ProviderID, Provider: r.Provider, APIs: slices.Clone(apis)})
		}
	}
	return out
}
