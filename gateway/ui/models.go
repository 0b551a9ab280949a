package ui

import "net/http"

// modelsBody is the Models page: the viewer's models grouped by provider.
type modelsBody struct {
	Providers []providerModels
	Principal string
}

// providerModels is one provider's models the viewer may use.
type providerModels struct {
	ID, Name, Description string
	APIs                  []string
	Models                []Model
}

// models lists every model the viewer may use with its provider, the
// endpoints it speaks, its prices per million tokens and the state of the
// spending limits a request to it would charge.
func (h *Handler) models(w http.ResponseWriter, r *http.Request, v Viewer) error {
	b := modelsBody{Principal: v.Principal}
	idx := map[string]int{}
	for _, m := range v.Models {
		i, ok := idx[m.Provider]
		if !ok {
			i = len(b.Providers)
			idx[m.Provider] = i
			b.Providers = append(b.Providers, providerModels{ID: m.Provider, Name: m.ProviderName,
				Description: m.Description, APIs: m.APIs})
		}
		b.Providers[i].Models = append(b.Providers[i].Models, m)
	}
	return h.render(w, http.StatusOK, "models", pageData{Title: "Models", Nav: "models", Viewer: v, Body: b})
}
