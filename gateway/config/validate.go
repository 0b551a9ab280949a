package config

import (
	"strings"

	"github.com/tailscale/hujson"
)

// crossCheck runs the checks that need the whole document: references
// from grants to providers, quotas and hooks, and the instance-level
// warnings about configs that lock everybody out.
func (w *walker) crossCheck(cfg *Config, root *hujson.Value, obj *hujson.Object) {
	for _, f := range w.later {
		f()
	}
	at := func(key string) *hujson.Value {
		if m := memberNamed(obj, key); m != nil {
			return &m.Name
		}
		return root
	}
	if len(cfg.Providers) == 0 && len(cfg.MCP) == 0 {
		w.warn(at("providers"), "providers", "no providers or MCP servers are configured; users will not be able to access any models")
	}
	grants := cfg.AllGrants()
	if len(cfg.Providers) > 0 && len(grants) == 0 {
		w.warn(at("grants"), "grants", "providers are configured but there are no grants; all access will be denied")
	}
	if len(grants) > 0 {
		admin := false
		for _, g := range grants {
			for _, c := range g.Caps {
				admin = admin || (c.Role == RoleAdmin && len(g.Src) > 0)
			}
		}
		if !admin {
			key := "grants"
			if len(cfg.Grants) == 0 {
				key = "temp_grants"
			}
			w.warn(at(key), key, "no grant assigns role \"admin\"; nobody will be able to manage this instance")
		}
	}
}

// checkCapabilityRefs warns when a capability names a provider, quota or
// hook that the config does not declare, which usually means a typo that
// would otherwise silently grant nothing (or, for quotas, reject).
func (w *walker) checkCapabilityRefs(c Capability, v *hujson.Value, pth string) {
	cfg := w.cfg
	field := func(name string) *hujson.Value {
		if o, ok := v.Value.(*hujson.Object); ok {
			if m := memberNamed(o, name); m != nil {
				return &m.Value
			}
		}
		return v
	}
	for _, m := range c.Models {
		prov, _, _ := strings.Cut(m, "/")
		if prov == "" || strings.ContainsAny(prov, "*?[") {
			continue
		}
		if _, ok := cfg.Providers[prov]; !ok {
			w.warn(field("models"), joinPath(pth, "models"), "models pattern %q names undeclared provider %q", m, prov)
		}
	}
	for _, q := range c.Quotas {
		if _, ok := cfg.Quotas[q.Bucket]; !ok {
			w.warn(field("quotas"), joinPath(pth, "quotas"), "quota %q is not defined in \"quotas\"; requests charged to it will be rejected", q.Bucket)
		}
	}
	for _, h := range c.SendHooks {
		if _, ok := cfg.Hooks[h.Name]; !ok {
			// An error, not a warning: a misspelt guardrail would
			// leave requests unscreened while the admin believes
			// otherwise.
			w.fail(field("send_hooks"), joinPath(pth, "send_hooks"), "hook %q is not defined in \"hooks\"", h.Name)
		}
	}
	for name, n := range map[string]int{"connectors": len(c.Connectors), "mcp_tools": len(c.MCPTools),
		"mcp_resources": len(c.MCPResources), "mcp_templates": len(c.MCPTemplates)} {
		if n > 0 {
			w.unbuilt(field(name), joinPath(pth, name), "%s %s", name, notBuiltYet)
		}
	}
}
