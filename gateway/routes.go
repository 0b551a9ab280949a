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
	mux.HandleFunc("GET /api/whoami", s.api(s.serveWhoAmI))
	mux.HandleFunc("GET /api/providers", s.api(s.serveProviders))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		db := s.checkDatabase(r.Context())
		if db != nil && !db.Reachable {
			writeDatabaseDown(w, db)
			return
		}
		if err := s.opts.Ledger.Healthy(); err != nil {
			// Anyone may ask: the database's error (its path, SQLite's
			// words) goes to the log only.
			s.opts.Logf("healthz: ledger: %v", err)
			http.Error(w, "ledger: cannot record usage; the gateway's log says why", http.StatusServiceUnavailable)
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
		if db != nil {
			w.Write([]byte("database: " + db.Backend + ", reachable\n"))
		}
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

// apiCaller resolves the caller of a gateway endpoint: identified, from
// the gateway's own pages or a CORS grant when a browser sends it, and
// with a role.
func (s *Server) apiCaller(r *http.Request) (*caller, error) {
	c, err := s.identifyClient(r)
	if err != nil {
		return nil, err
	}
	if _, ok := checkBrowser(r, c.access); !ok {
		return nil, clientErr(http.StatusForbidden, apis.KindPermissionDenied, "access denied: cross-site browser request")
	}
	if c.access.Role() == 0 {
		return nil, clientErr(http.StatusForbidden, apis.KindPermissionDenied, "access denied: no role granted")
	}
	return c, nil
}

// callerIn is apiCaller for an endpoint of a provider's API (the model
// lists), whose SDKs read errors only in their own envelope: api's. It
// answers the error itself when it returns ok=false.
func (s *Server) callerIn(w http.ResponseWriter, r *http.Request, api config.API) (*caller, bool) {
	c, err := s.apiCaller(r)
	if err != nil {
		ce := s.publicError(r, err)
		apis.WriteError(w, api, ce.status, ce.kind, ce.msg)
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
func (s *Server) serveWhoAmI(w http.ResponseWriter, r *http.Request) error {
	c, err := s.identifyClient(r)
	if err != nil {
		return err
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
	return nil
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
func (s *Server) serveProviders(w http.ResponseWriter, r *http.Request) error {
	c, err := s.apiCaller(r)
	if err != nil {
		return err
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
	return nil
}
