package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/routing"
)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", s.serveModels)
	mux.HandleFunc("GET /models", s.serveModels)
	mux.HandleFunc("GET /v1beta/models", s.serveModels)
	mux.HandleFunc("GET /v1/models/{id...}", s.serveModel)
	mux.HandleFunc("GET /models/{id...}", s.serveModel)
	mux.HandleFunc("GET /v1beta/models/{id...}", s.serveModel)
	mux.HandleFunc("GET /api/whoami", s.serveWhoAmI)
	mux.HandleFunc("GET /api/providers", s.serveProviders)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if err := s.opts.Ledger.Healthy(); err != nil {
			http.Error(w, "ledger: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		// A provider without its key is listed; the gateway is unhealthy
		// only when no enabled provider can serve at all.
		cfg, src := s.Config()
		problems, ok := providerHealth(cfg, src)
		if !ok {
			http.Error(w, "unavailable: no enabled provider can serve requests\n"+strings.Join(problems, "\n"), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
		for _, p := range problems {
			w.Write([]byte(p + "\n"))
		}
	})
	s.ledgerRoutes(mux)
	s.configRoutes(mux)
	s.metricsRoutes(mux)
	s.uiRoutes(mux)
	mux.HandleFunc("/", s.serveAPI)
	return mux
}

// serveAPI dispatches provider API calls, and answers everything else
// with a 404 in the dialect the path suggests.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if isUpgrade(r) && strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/responses") {
		// Codex first tries the Responses API over a WebSocket and falls
		// back to HTTP POST on 426.
		w.Header().Set("Upgrade", "HTTP/1.1")
		apis.WriteError(w, config.OpenAIResponses, http.StatusUpgradeRequired, apis.KindInvalidRequest,
			"this gateway serves the Responses API over HTTP POST, not WebSocket")
		return
	}
	method := r.Method
	if method == http.MethodOptions {
		method = r.Header.Get("Access-Control-Request-Method")
	}
	// The path is decoded once and checked: a spelling the provider
	// could read as another path (an encoded slash, a double encoding, a
	// dot segment) is refused here, in the caller's dialect.
	route, err := apis.DetectURL(method, r.URL)
	if err == nil {
		s.serveLLM(w, r, route)
		return
	}
	if !errors.Is(err, apis.ErrNoRoute) {
		apis.WriteError(w, apis.APIFromPath(r.URL.Path), http.StatusBadRequest, apis.KindInvalidRequest, err.Error())
		return
	}
	if r.URL.Path == "/" {
		http.Redirect(w, r, "/ui/", http.StatusFound)
		return
	}
	apis.WriteError(w, apis.APIFromPath(r.URL.Path), http.StatusNotFound, apis.KindNotFound,
		"no such endpoint: "+r.Method+" "+r.URL.Path)
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// callerFor resolves the caller for a gateway endpoint, answering 403
// itself when there is no identity or no role.
func (s *Server) callerFor(w http.ResponseWriter, r *http.Request) (*caller, bool) {
	return s.callerIn(w, r, "")
}

// callerIn is callerFor for an endpoint of a provider's API (the model
// lists), whose SDKs read errors only in their own envelope: api's.
func (s *Server) callerIn(w http.ResponseWriter, r *http.Request, api config.API) (*caller, bool) {
	c, err := s.identify(r)
	if err != nil {
		apis.WriteError(w, api, http.StatusForbidden, apis.KindPermissionDenied, "access denied: "+err.Error())
		return nil, false
	}
	if _, ok := checkBrowser(r, c.access); !ok {
		apis.WriteError(w, api, http.StatusForbidden, apis.KindPermissionDenied, "access denied: cross-site browser request")
		return nil, false
	}
	if c.access.Role() == 0 {
		apis.WriteError(w, api, http.StatusForbidden, apis.KindPermissionDenied, "access denied: no role granted")
		return nil, false
	}
	return c, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// serveWhoAmI tells callers who the gateway thinks they are.
func (s *Server) serveWhoAmI(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(r)
	if err != nil {
		apis.WriteError(w, "", http.StatusForbidden, apis.KindPermissionDenied, "access denied: "+err.Error())
		return
	}
	models := []string{}
	for _, m := range routing.Models(c.cfg(), c.access) {
		models = append(models, m.FQN)
	}
	tags := c.id.Tags
	if tags == nil {
		tags = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"login_name":     c.id.LoginName,
		"display_name":   c.id.DisplayName,
		"node":           c.id.NodeName,
		"stable_node_id": c.id.StableNodeID,
		"tags":           tags,
		"principal":      c.id.Principal(),
		"role":           c.roleName(),
		"model_globs":    orEmpty(c.access.ModelGlobs()),
		"models":         models,
	})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type providerJSON struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	Description   string              `json:"description"`
	Models        []string            `json:"models"`
	Compatibility map[config.API]bool `json:"compatibility"`
}

// serveProviders lists the enabled providers (never their keys).
func (s *Server) serveProviders(w http.ResponseWriter, r *http.Request) {
	c, ok := s.callerFor(w, r)
	if !ok {
		return
	}
	out := []providerJSON{}
	for _, id := range c.cfg().ProviderIDs() {
		p := c.cfg().Providers[id]
		if p.Disabled {
			continue
		}
		out = append(out, providerJSON{ID: id, Name: p.DisplayName(), Description: p.Description,
			Models: orEmpty(p.Models), Compatibility: p.Compatibility})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, http.StatusOK, out)
}
