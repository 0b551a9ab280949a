package gateway

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/routing"
)

// A provider that injects its own key (auth_mode override, the default)
// but has none cannot serve anything: sent upstream without a key, every
// request would come back as the provider's 401, which looks like the
// client's fault. It is an error of that provider alone: its requests are
// answered 503 naming it and the missing key, /healthz lists it, and
// config validation says so, while the rest of the config is served.

// injectsKey reports whether p sends its own apikey upstream: auth_mode
// override, the default. (passthrough sends the caller's credential,
// none sends nothing; neither needs a key.)
func injectsKey(p *config.Provider) bool {
	return p.AuthMode == "" || strings.EqualFold(p.AuthMode, "override")
}

// keyless reports whether p needs its own key and has none.
func keyless(p *config.Provider) bool {
	return p != nil && injectsKey(p) && p.APIKey == ""
}

// apikeyRef returns the apikey value provider id has in the config text
// src, as written ("env:NAME", "file:PATH", a literal), and whether it has
// one at all. Like the parser, the last of duplicate members counts.
func apikeyRef(src []byte, id string) (value string, present bool) {
	root, err := hujson.Parse(src)
	if err != nil {
		return "", false
	}
	provs := member(&root, "providers")
	if provs == nil {
		return "", false
	}
	prov := member(provs, id)
	if prov == nil {
		return "", false
	}
	v := member(prov, "apikey")
	if v == nil {
		return "", false
	}
	if lit, ok := v.Value.(hujson.Literal); ok && lit.Kind() == '"' {
		return lit.String(), true
	}
	return "", true
}

// member returns the last member name of object v, or nil.
func member(v *hujson.Value, name string) *hujson.Value {
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil
	}
	var out *hujson.Value
	for i := range obj.Members {
		m := &obj.Members[i]
		if lit, ok := m.Name.Value.(hujson.Literal); ok && lit.String() == name {
			out = &m.Value
		}
	}
	return out
}

// missingKey says why provider id has no key, from its apikey as the
// config text src has it, and what to do: one sentence naming the
// provider and, for env:NAME, the variable. It never contains a key.
func missingKey(id string, src []byte) string {
	ref, present := apikeyRef(src, id)
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		return fmt.Sprintf("provider %q has no API key: its apikey is env:%s, and %s was not set (or empty) in the gateway's environment when the config was loaded; "+
			"the gateway's admin puts it in the service's environment file (aperture install --env %s=..., stored in <state-dir>/aperture.env) and restarts it", id, name, name, name)
	case strings.HasPrefix(ref, "file:"):
		return fmt.Sprintf("provider %q has no API key: its apikey is %s, and that file was missing, unreadable or empty when the config was loaded", id, ref)
	case present:
		return fmt.Sprintf("provider %q has no API key: its apikey is empty", id)
	}
	return fmt.Sprintf("provider %q has no API key: its config sets no apikey (set one, or auth_mode \"none\" for a server that needs no key)", id)
}

// keyed makes sure the chosen provider has its key: if not, another
// provider serving the model that the caller may use and that has one
// takes the request; otherwise it is answered 503 in the caller's
// dialect, naming the provider and the missing key, and nothing is sent
// upstream.
func (x *exchange) keyed() bool {
	p := x.rt.Provider
	if !keyless(p) {
		return true
	}
	if x.model != "" {
		for _, rt := range routing.Candidates(x.c.cfg(), x.api, x.model) {
			if !keyless(rt.Provider) && x.c.access.AllowsModel(rt.FQN) {
				x.rt = rt
				return true
			}
		}
	} else {
		// A model-less call (a stored response by ID): any provider of
		// the API that has its key, the preferred one first.
		found := false
		for _, m := range routing.Models(x.c.cfg(), x.c.access) {
			if keyless(m.Provider) || !slices.Contains(m.APIs, x.api) {
				continue
			}
			if !found || m.Provider.Preference > x.rt.Provider.Preference {
				x.rt = routing.Route{ProviderID: m.ProviderID, Provider: m.Provider, Model: m.ID, FQN: m.FQN}
				found = true
			}
		}
		if found {
			return true
		}
	}
	return x.fail(http.StatusServiceUnavailable, apis.KindUnavailable,
		missingKey(x.rt.ProviderID, x.c.rc.src)+"; this request was not sent upstream")
}

// providerHealth lists, for /healthz, each enabled provider that cannot
// serve for want of its key, and whether some enabled provider can.
func providerHealth(cfg *config.Config, src []byte) (problems []string, anyUsable bool) {
	if cfg == nil {
		return nil, false
	}
	ids := make([]string, 0, len(cfg.Providers))
	for id := range cfg.Providers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	enabled := 0
	for _, id := range ids {
		p := cfg.Providers[id]
		if p == nil || p.Disabled {
			continue
		}
		enabled++
		if keyless(p) {
			problems = append(problems, "provider "+id+": unavailable: "+missingKey(id, src))
		} else {
			anyUsable = true
		}
	}
	return problems, anyUsable || enabled == 0
}

// KeyDiagnostics adds to diags, the diagnostics of cfg parsed from src,
// what the gateway does with each enabled provider that needs its own
// key and has none: its requests are refused (503). Where the parser
// already warned at the provider's apikey, that warning says it; else a
// warning is added at the provider. They stay warnings: the rest of the
// config is served, and a save (Settings, the config API) keeps them.
func KeyDiagnostics(cfg *config.Config, src []byte, diags []config.Diagnostic) []config.Diagnostic {
	if cfg == nil {
		return diags
	}
	const effect = "; until it has one, requests for its models are answered 503 (not sent upstream without a key)"
	ids := make([]string, 0, len(cfg.Providers))
	for id, p := range cfg.Providers {
		if keyless(p) && !p.Disabled {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := append([]config.Diagnostic(nil), diags...)
	for _, id := range ids {
		prov := providerPath(id)
		found := false
		for i := range out {
			if out[i].Path == prov+".apikey" && out[i].Severity == config.Warning {
				out[i].Message += effect
				found = true
			}
		}
		if found {
			continue
		}
		d := config.Diagnostic{Severity: config.Warning, Path: prov, Message: missingKey(id, src) + effect}
		d.Line, d.Column = providerPosition(src, id)
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// providerPath is the diagnostic path of provider id, spelled as the
// config parser spells it.
func providerPath(id string) string {
	if strings.ContainsAny(id, "./[]\" ") {
		return fmt.Sprintf("providers[%q]", id)
	}
	return "providers." + id
}

// providerPosition is the 1-based line and column of provider id's
// object in src, or 0, 0.
func providerPosition(src []byte, id string) (line, col int) {
	root, err := hujson.Parse(src)
	if err != nil {
		return 0, 0
	}
	provs := member(&root, "providers")
	if provs == nil {
		return 0, 0
	}
	v := member(provs, id)
	if v == nil {
		return 0, 0
	}
	off := v.StartOffset
	if off > len(src) {
		return 0, 0
	}
	before := src[:off]
	line = strings.Count(string(before), "\n") + 1
	col = off - (strings.LastIndexByte(string(before), '\n') + 1) + 1
	return line, col
}
