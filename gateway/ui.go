package gateway

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/hooks"
	"github.com/tsplug/ts-plug/gateway/pricing"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/routing"
	"github.com/tsplug/ts-plug/gateway/ui"
)

// uiRoutes mounts the dashboard under /ui/.
func (s *Server) uiRoutes(mux *http.ServeMux) {
	h := ui.New(uiSource{s}, s.opts.Now)
	h.Logf = s.opts.Logf
	mux.Handle(ui.Prefix, h)
	mux.Handle("GET /ui", http.RedirectHandler(ui.Prefix, http.StatusMovedPermanently))
}

// uiSource is the gateway as the dashboard sees it: identity from the
// connection (the same rules as the API), grants turned into the models
// and quotas a viewer has, and the ledger.
type uiSource struct{ s *Server }

var errNoRole = errors.New("no role granted; ask an admin of this gateway to add a grant for you")

// Viewer identifies the page's caller as every other endpoint does, from
// the listener and WhoIs, never from headers.
func (u uiSource) Viewer(r *http.Request) (ui.Viewer, error) {
	c, err := u.s.identifyClient(r)
	if err != nil {
		// The page says "Access denied: " itself.
		return ui.Viewer{}, errors.New(strings.TrimPrefix(err.Error(), "access denied: "))
	}
	if c.access.Role() == 0 {
		return ui.Viewer{}, fmt.Errorf("%s has %w", c.id.Principal(), errNoRole)
	}
	v := ui.Viewer{Principal: c.id.Principal(), DisplayName: c.id.DisplayName, Admin: c.isAdmin()}
	if u.s.opts.Quotas != nil {
		v.Quotas = u.s.opts.Quotas.Lookup(callerRefs(c))
	}
	for _, m := range routing.Models(c.cfg(), c.access) {
		v.Models = append(v.Models, u.model(c, m))
	}
	return v, nil
}

// model describes m for the Models page, priced per million tokens.
func (u uiSource) model(c *caller, m routing.ModelInfo) ui.Model {
	out := ui.Model{ID: m.ID, FQN: m.FQN, Provider: m.ProviderID, ProviderName: m.Provider.DisplayName(),
		Description: m.Provider.Description, Endpoints: m.Endpoints()}
	for _, a := range m.APIs {
		out.APIs = append(out.APIs, string(a))
	}
	if q, ok := c.rc.prices.Resolve(m.ProviderID, m.ID); ok {
		out.Basis = q.Basis
		per := func(comp pricing.Components) string {
			if s, ok := q.Price.PerToken(comp, false); ok {
				return ui.PerMillion(s)
			}
			return ""
		}
		out.Input, out.Output = per(pricing.CompInput), per(pricing.CompOutput)
		out.CacheRead, out.CacheWrite = per(pricing.CompCacheRead), per(pricing.CompCacheWrite5m)
	}
	if u.s.opts.Quotas != nil {
		sc := c.access.ForModel(m.FQN)
		out.Quotas = u.s.opts.Quotas.Lookup(quotas.Refs(sc.Buckets, sc.BucketDefs))
	}
	return out
}

// QuotasOf lists the existing buckets named for principal, for an admin
// viewing that user's dashboard (quotas.Manager.BalancesOf).
func (u uiSource) QuotasOf(principal string) []quotas.BalanceView {
	if u.s.opts.Quotas == nil {
		return nil
	}
	return u.s.opts.Quotas.BalancesOf(principal)
}

// Store is the ledger's query side, or nil.
func (u uiSource) Store() ui.Store {
	if u.s.opts.Store == nil {
		return nil
	}
	return u.s.opts.Store
}

// Config is the running config with secrets masked.
func (u uiSource) Config() ui.ConfigView {
	_, src := u.s.Config()
	masked, err := config.MaskSecrets(src)
	if err != nil {
		// Never show unmasked text; the running text always parsed, so
		// this is not expected.
		u.s.opts.Logf("ERROR settings page: masking the running config: %v", err)
		masked = []byte("// the running config cannot be shown; the gateway's log says why\n")
	}
	cfg, _ := u.s.Config()
	return ui.ConfigView{Text: string(masked), Hash: config.Hash(src), Path: u.s.opts.ConfigPath, Writable: u.s.opts.ConfigPath != "",
		Hooks: u.hookViews(cfg), Shared: u.shared(src)}
}

// hookViews lists the configured hooks, by name, with the events the
// config's grants wire each to and its recent calls.
func (u uiSource) hookViews(cfg *config.Config) []ui.HookView {
	stats := map[string]hooks.HookStats{}
	for _, st := range u.s.hooks.Stats() {
		stats[st.Name] = st
	}
	events := map[string][]string{}
	for _, g := range append(slices.Clone(cfg.Grants), cfg.TempGrants...) {
		for _, c := range g.Caps {
			for _, ref := range c.SendHooks {
				for _, ev := range ref.Events {
					if !slices.Contains(events[ref.Name], ev) {
						events[ref.Name] = append(events[ref.Name], ev)
					}
				}
			}
		}
	}
	var out []ui.HookView
	for _, name := range slices.Sorted(maps.Keys(cfg.Hooks)) {
		h := cfg.Hooks[name]
		st := stats[name]
		st.Name = name
		out = append(out, ui.HookView{Name: name, URL: maskURL(h.URL), FailPolicy: h.FailPolicy, Timeout: h.Timeout,
			Preference: h.Preference, Disabled: h.Disabled, Events: events[name], Stats: st})
	}
	return out
}

// maskURL hides a password in a URL's userinfo.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Version is the gateway's version.
func (u uiSource) Version() string { return u.s.opts.Version }

// Notices are the gateway-wide warnings Options.Notices gives.
func (u uiSource) Notices() []string {
	if u.s.opts.Notices == nil {
		return nil
	}
	return u.s.opts.Notices()
}
