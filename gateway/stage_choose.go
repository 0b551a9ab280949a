package gateway

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/routing"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// choose picks the provider for the call: the preferred one serving the
// model that the caller may use, or for a model-less call (a stored
// response by id) any provider of the API, once the caller is known to
// own what it names.
func (x *exchange) choose() bool {
	s, c, api := x.s, x.c, x.api
	if x.model == "" {
		// GET/DELETE /v1/responses/{id}: no model; any provider of the
		// API on which the caller may use some model.
		if !x.owns(x.route.ResponseID) {
			return false
		}
		rt, ok := s.anyProviderFor(c, api)
		if !ok {
			return x.fail(http.StatusNotFound, apis.KindNotFound, "no provider you may use serves "+string(api))
		}
		x.rt = rt
	} else {
		rt, msg := s.pickRoute(c, api, x.model)
		if msg != "" {
			return x.fail(http.StatusNotFound, apis.KindModelNotFound, msg)
		}
		x.rt = rt
	}
	// Continuing another caller's stored response would read it.
	return api != config.OpenAIResponses || x.owns(x.info.PreviousResponseID)
}

// owns reports whether the caller may use stored response id ("" for
// none): admins may use any, others only those they created or whose
// creator is unknown. Otherwise it answers 404, as for a response that
// does not exist.
func (x *exchange) owns(id string) bool {
	if id == "" {
		return true
	}
	if !apis.ValidResponseID(id) {
		return x.fail(http.StatusBadRequest, apis.KindInvalidRequest,
			"previous_response_id must be a response ID: letters, digits, _ and - only")
	}
	if x.c.isAdmin() {
		return true
	}
	owner, err := x.s.responseOwner(x.r.Context(), id)
	if err != nil {
		// Unknown is "nobody's", which would let anyone in: a ledger that
		// cannot say whose it is refuses, and the caller may retry.
		x.s.opts.Logf("owner of response %s: %v", id, err)
		x.w.Header().Set("Retry-After", "1")
		return x.fail(http.StatusServiceUnavailable, apis.KindUnavailable,
			"cannot check who created response "+id+" right now (the gateway's ledger did not answer); try again shortly")
	}
	if owner != "" && owner != x.c.id.Principal() {
		return x.fail(http.StatusNotFound, apis.KindNotFound, "no response "+id+" of yours")
	}
	return true
}

// prepare decides what goes upstream besides the caller's bytes: the
// model as the provider knows it, and a usage report for every stream.
func (x *exchange) prepare() bool {
	// A model given as provider/model goes upstream as the provider
	// knows it, the rest of the body byte for byte as it is otherwise.
	// Every edit of the body comes from the one scan and is applied in
	// one copy, by send, with the output limit the quota may set.
	x.path = x.route.Path
	if x.model != "" && x.rt.Model != x.model {
		if x.route.ModelInBody() {
			x.edits = append(x.edits, apis.ModelEdit(x.info, x.rt.Model))
		} else {
			x.path = strings.Replace(x.path, "/models/"+x.model+":", "/models/"+x.rt.Model+":", 1)
		}
	}
	// Every stream is metered: an OpenAI chat client that did not ask for
	// usage gets it asked for anyway, and the extra chunk is removed from
	// what it sees.
	if x.api == config.OpenAIChat && x.stream && x.route.Op == apis.OpCreate {
		if e, ok := usage.IncludeUsageEdit(x.body, x.info); ok {
			x.edits = append(x.edits, e)
			x.hideUsage = true
		}
	}
	return true
}

// pickRoute finds the provider for model, or says why there is none.
func (s *Server) pickRoute(c *caller, api config.API, model string) (routing.Route, string) {
	cands := routing.Candidates(c.cfg(), api, model)
	if len(cands) == 0 {
		return routing.Route{}, fmt.Sprintf("model %q is not served by any enabled provider for %s", model, apiLabel(api)) + modelHint(c, api)
	}
	for _, rt := range cands {
		if c.access.AllowsModel(rt.FQN) {
			return rt, ""
		}
	}
	return routing.Route{}, fmt.Sprintf("model %q is not granted to %s", model, c.id.Principal()) + modelHint(c, api)
}

// anyProviderFor picks, for a model-less call, the preferred provider of
// api serving some model the caller may use.
func (s *Server) anyProviderFor(c *caller, api config.API) (routing.Route, bool) {
	var best routing.Route
	found := false
	for _, m := range routing.Models(c.cfg(), c.access) {
		for _, a := range m.APIs {
			if a == api && (!found || m.Provider.Preference > best.Provider.Preference) {
				best = routing.Route{ProviderID: m.ProviderID, Provider: m.Provider, Model: m.ID, FQN: m.FQN}
				found = true
			}
		}
	}
	return best, found
}

func apiLabel(api config.API) string {
	switch api {
	case config.OpenAIChat:
		return "the OpenAI Chat Completions API"
	case config.OpenAIResponses:
		return "the OpenAI Responses API"
	case config.AnthropicMessages:
		return "the Anthropic Messages API"
	case config.GeminiGenerateContent:
		return "the Gemini API"
	}
	return string(api)
}
