package config

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/identity"
)

// Grant is one entry of "grants" (or the deprecated "temp_grants"): the
// callers it applies to and the capabilities it gives them. The gateway
// has no deny rules; grants only ever add access.
type Grant struct {
	// Src lists selectors: "*", a login name, "tag:x", a comma-joined tag
	// set or "(loopback)". "group:x" and "autogroup:x" are refused (see
	// refuseGroups).
	Src []string
	// App maps capability names to their values, as raw JSON objects.
	// App[identity.CapAperture] holds the gateway's own capabilities;
	// other names are opaque and only forwarded to hooks.
	App map[string][]json.RawMessage
	// Caps is App[identity.CapAperture] decoded.
	Caps []Capability
	// Legacy is true for grants read from "temp_grants".
	Legacy bool
	// Line is the source line where the grant starts.
	Line int
}

// parseGrants decodes a "grants" or "temp_grants" array.
func (w *walker) parseGrants(v *hujson.Value, pth string, legacy bool) []Grant {
	arr, ok := v.Value.(*hujson.Array)
	if !ok {
		w.fail(v, pth, "must be an array of grants, not %s", kindName(v))
		return nil
	}
	var out []Grant
	for i := range arr.Elements {
		if g, ok := w.parseGrant(&arr.Elements[i], indexPath(pth, i), legacy); ok {
			out = append(out, g)
		}
	}
	return out
}

func (w *walker) parseGrant(v *hujson.Value, pth string, legacy bool) (Grant, bool) {
	g := Grant{Legacy: legacy}
	g.Line, _ = w.lines.position(v.StartOffset)
	obj, ok := w.object(v, pth)
	if !ok {
		return g, false
	}
	placement := func(v *hujson.Value, p string) {
		w.warn(v, p, "%q belongs only in tailnet policy file grants; ignored here", p[strings.LastIndex(p, ".")+1:])
	}
	fields := map[string]fieldFunc{
		"src": func(v *hujson.Value, p string) {
			g.Src, _ = w.strings(v, p)
			w.refuseGroups(v, p)
		},
		"app": func(v *hujson.Value, p string) { w.parseApp(&g, v, p) },
		"dst": placement,
		"ip":  placement,
	}
	if legacy {
		fields["grants"] = func(v *hujson.Value, p string) { w.parseAlphaGrants(&g, v, p) }
	}
	w.members(obj, pth, fields)
	if !hasMember(obj, "src") {
		w.warn(v, pth, "grant has no src and applies to nobody")
	}
	return g, true
}

// refuseGroups fails every src selector naming a group. WhoIs tells the
// gateway a caller's login, node and tags but never their groups, so a
// "group:eng" here could only ever match nobody, silently; the tailnet's
// policy file does know groups, and its grants reach the gateway as the
// same capability.
func (w *walker) refuseGroups(v *hujson.Value, pth string) {
	arr, ok := v.Value.(*hujson.Array)
	if !ok {
		return
	}
	for i := range arr.Elements {
		ev := &arr.Elements[i]
		lit, ok := ev.Value.(hujson.Literal)
		if !ok || lit.Kind() != '"' {
			continue
		}
		for sel := range strings.SplitSeq(lit.String(), ",") {
			sel = strings.TrimSpace(sel)
			if strings.HasPrefix(sel, "group:") || strings.HasPrefix(sel, "autogroup:") {
				w.fail(ev, indexPath(pth, i), "%s", groupRefusal(sel))
				break
			}
		}
	}
}

// groupRefusal explains why a group cannot be a config grant's src and
// gives the tailnet policy file grant that does the same.
func groupRefusal(group string) string {
	return fmt.Sprintf("%q cannot be matched here: the gateway learns a caller's login and tags from the tailnet, never their groups, "+
		"so this grant would apply to nobody. Grant it in the tailnet policy file instead, where groups are known, "+
		"with the gateway's device tagged (e.g. tag:aperture, in tagOwners): "+
		`{"src": [%q], "dst": ["tag:aperture"], "ip": ["tcp:80", "tcp:443"], "app": {%q: [{"role": "user"}, {"models": "**"}]}}`+
		"; or list the logins here", group, group, identity.CapAperture)
}

// parseApp decodes a grant's app map.
func (w *walker) parseApp(g *Grant, v *hujson.Value, pth string) {
	obj, ok := w.object(v, pth)
	if !ok {
		return
	}
	if g.App == nil {
		g.App = map[string][]json.RawMessage{}
	}
	w.eachMember(obj, pth, func(name string, v *hujson.Value, p string) {
		arr, ok := w.array(v, p)
		if !ok {
			return
		}
		for i := range arr.Elements {
			ev, ep := &arr.Elements[i], indexPath(p, i)
			raw := toJSON(ev)
			g.App[name] = append(g.App[name], raw)
			if name != identity.CapAperture {
				continue
			}
			c, ws := parseCapability(raw)
			for _, cw := range ws {
				at, ap := ev, ep
				if cw.field != "" {
					ap = joinPath(ep, cw.field)
					if o, ok := ev.Value.(*hujson.Object); ok {
						if m := memberNamed(o, cw.field); m != nil {
							at = &m.Name
						}
					}
				}
				w.warn(at, ap, "%s", cw.msg)
			}
			g.Caps = append(g.Caps, c)
			w.later = append(w.later, func() { w.checkCapabilityRefs(c, ev, ep) })
		}
	})
}

// parseAlphaGrants converts the Feb-2026 alpha temp_grants shape
//
//	{"src": [...], "grants": [{"role": "admin"},
//	  {"providers": [{"provider": "anthropic", "model": "claude-x"}]},
//	  {"hook": {"match": {"events": [...]}, "hook": "name", "fields": [...]}}]}
//
// into modern capabilities, so old configs keep working.
func (w *walker) parseAlphaGrants(g *Grant, v *hujson.Value, pth string) {
	arr, ok := w.array(v, pth)
	if !ok {
		return
	}
	w.warn(v, pth, "the alpha temp_grants \"grants\" list is deprecated; use \"app\": {%q: [...]}", identity.CapAperture)
	if g.App == nil {
		g.App = map[string][]json.RawMessage{}
	}
	add := func(c map[string]any) {
		raw, err := json.Marshal(c)
		if err != nil {
			return
		}
		g.App[identity.CapAperture] = append(g.App[identity.CapAperture], raw)
		cp, _ := parseCapability(raw)
		g.Caps = append(g.Caps, cp)
	}
	for i := range arr.Elements {
		ev, ep := &arr.Elements[i], indexPath(pth, i)
		var e struct {
			Role      string `json:"role"`
			Providers []struct {
				Provider string `json:"provider"`
				Model    string `json:"model"`
			} `json:"providers"`
			Hook *struct {
				Match struct {
					Events []string `json:"events"`
				} `json:"match"`
				Hook   string   `json:"hook"`
				Fields []string `json:"fields"`
			} `json:"hook"`
		}
		if err := json.Unmarshal(toJSON(ev), &e); err != nil {
			w.warn(ev, ep, "cannot read alpha grant: %v", err)
			continue
		}
		if e.Role != "" {
			add(map[string]any{"role": e.Role})
		}
		for _, p := range e.Providers {
			prov, model := p.Provider, p.Model
			if prov == "" || prov == "*" {
				prov = "*"
			}
			if model == "" || model == "*" {
				model = "**"
			}
			add(map[string]any{"models": prov + "/" + model})
		}
		if e.Hook != nil && e.Hook.Hook != "" {
			add(map[string]any{"send_hooks": []HookRef{{Name: e.Hook.Hook, Events: e.Hook.Match.Events, Send: e.Hook.Fields}}})
		}
	}
}
