package grants

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
)

// Role is the strongest role a caller holds. Roles are ordered, so a
// caller granted both gets the higher one.
type Role int

// Roles, weakest first.
const (
	None  Role = iota // no role: every request is denied
	User              // may use granted models and see their own usage
	Admin             // may also manage the config and see everyone's usage
)

// String returns "none", "user" or "admin".
func (r Role) String() string {
	switch r {
	case Admin:
		return config.RoleAdmin
	case User:
		return config.RoleUser
	}
	return "none"
}

// Access is the union of every capability that applies to one caller.
// The zero value (and a nil *Access) grants nothing.
type Access struct {
	id     identity.Identity
	caps   []config.Capability
	custom map[string][]json.RawMessage
	// Warnings lists problems with capability objects that came from the
	// tailnet policy, which were applied as far as they could be parsed.
	Warnings []string
	// scopes memoizes ForModel by model FQN: the gateway keeps an Access
	// per identity and config, and asks for the same models again and
	// again. Callers must not modify a returned Scope.
	scopes sync.Map
}

// Evaluate collects the capabilities of every grant in cfg (grants and
// temp_grants) whose src matches id, plus those the tailnet policy grants
// id through the tailscale.com/cap/aperture peer capability.
func Evaluate(cfg *config.Config, id identity.Identity) *Access {
	var gs []config.Grant
	if cfg != nil {
		gs = cfg.AllGrants()
	}
	return EvaluateGrants(gs, id)
}

// EvaluateGrants is Evaluate over an explicit list of config grants.
func EvaluateGrants(gs []config.Grant, id identity.Identity) *Access {
	a := &Access{id: id, custom: map[string][]json.RawMessage{}}
	for _, g := range gs {
		if !matchAnySrc(g.Src, id) {
			continue
		}
		a.caps = append(a.caps, g.Caps...)
		for name, vals := range g.App {
			if name != identity.CapAperture {
				a.custom[name] = append(a.custom[name], vals...)
			}
		}
	}
	for name, vals := range id.Caps {
		if name != identity.CapAperture {
			a.custom[name] = append(a.custom[name], vals...)
			continue
		}
		for _, raw := range vals {
			for _, obj := range splitCapValue(raw) {
				c, ws := config.ParseCapability(obj)
				a.caps = append(a.caps, c)
				a.Warnings = append(a.Warnings, ws...)
			}
		}
	}
	return a
}

// splitCapValue returns the capability objects in one peer capability
// value, which is normally one object but may be an array of them.
func splitCapValue(raw json.RawMessage) []json.RawMessage {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return []json.RawMessage{raw}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(trimmed, &list); err != nil {
		return []json.RawMessage{raw} // let ParseCapability report it
	}
	return list
}

// Identity returns the caller the access was evaluated for.
func (a *Access) Identity() identity.Identity {
	if a == nil {
		return identity.Identity{}
	}
	return a.id
}

// Capabilities returns the applicable capability objects, config grants
// first, then tailnet policy ones.
func (a *Access) Capabilities() []config.Capability {
	if a == nil {
		return nil
	}
	return slices.Clone(a.caps)
}

// Role returns the strongest role granted; admin beats user.
func (a *Access) Role() Role {
	if a == nil {
		return None
	}
	r := None
	for _, c := range a.caps {
		switch c.Role {
		case config.RoleAdmin:
			r = Admin
		case config.RoleUser:
			r = max(r, User)
		}
	}
	return r
}

// AllowsModel reports whether the caller may use the model with the given
// "provider/model" FQN: it needs a role and a capability whose models glob
// matches. Without a role nothing is allowed, whatever the globs say.
func (a *Access) AllowsModel(fqn string) bool {
	if a.Role() == None {
		return false
	}
	for _, c := range a.caps {
		if modelsMatch(c.Models, fqn) {
			return true
		}
	}
	return false
}

// ModelGlobs returns every models glob granted, deduplicated, in grant order.
func (a *Access) ModelGlobs() []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, c := range a.caps {
		for _, m := range c.Models {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

func modelsMatch(globs []string, fqn string) bool {
	return slices.ContainsFunc(globs, func(g string) bool { return Match(g, fqn) })
}

// Scope is what applies to one request for one model: the quota buckets
// to check and charge (templates already expanded), the extra upstream
// headers, and the hooks to fire.
type Scope struct {
	Buckets []string
	// BucketDefs parallels Buckets: BucketDefs[i] is the name of the
	// cfg.Quotas definition ("daily:<user>") that Buckets[i] expands, so
	// the quota manager knows which capacity and rate apply.
	BucketDefs []string
	AddHeaders []string
	Hooks      []config.HookRef
}

// ForModel gathers the quota buckets, add_headers and send_hooks of every
// capability that is floating (has no models) or whose models glob matches
// fqn. Bucket templates <user> and <node> become the caller's principal
// and stable node ID. Buckets and headers are deduplicated; a hook wired
// by several capabilities appears once with the union of its events and
// send fields.
func (a *Access) ForModel(fqn string) Scope {
	if a == nil {
		return Scope{}
	}
	if s, ok := a.scopes.Load(fqn); ok {
		return s.(Scope)
	}
	s := a.forModel(fqn)
	a.scopes.Store(fqn, s)
	return s
}

func (a *Access) forModel(fqn string) Scope {
	var s Scope
	for _, c := range a.caps {
		if !c.Floating() && !modelsMatch(c.Models, fqn) {
			continue
		}
		for _, q := range c.Quotas {
			if b := ExpandBucket(q.Bucket, a.id); !slices.Contains(s.Buckets, b) {
				s.Buckets = append(s.Buckets, b)
				s.BucketDefs = append(s.BucketDefs, q.Bucket)
			}
		}
		for _, h := range c.AddHeaders {
			if !slices.Contains(s.AddHeaders, h) {
				s.AddHeaders = append(s.AddHeaders, h)
			}
		}
		for _, h := range c.SendHooks {
			i := slices.IndexFunc(s.Hooks, func(x config.HookRef) bool { return x.Name == h.Name })
			if i < 0 {
				s.Hooks = append(s.Hooks, config.HookRef{Name: h.Name})
				i = len(s.Hooks) - 1
			}
			s.Hooks[i].Events = union(s.Hooks[i].Events, h.Events)
			s.Hooks[i].Send = union(s.Hooks[i].Send, h.Send)
		}
	}
	return s
}

func union(dst, src []string) []string {
	for _, v := range src {
		if !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}

// ExpandBucket substitutes the caller into a quota bucket name template:
// <user> becomes id.Principal() (login, tag set or "(loopback)") and
// <node> the stable node ID (the node name when there is none, as for
// loopback callers).
func ExpandBucket(name string, id identity.Identity) string {
	if !strings.Contains(name, "<") {
		return name
	}
	node := id.StableNodeID
	if node == "" {
		node = id.NodeName
	}
	return strings.NewReplacer("<user>", id.Principal(), "<node>", node).Replace(name)
}

// ReadMetrics reports whether some capability grants read_metrics.
func (a *Access) ReadMetrics() bool {
	if a == nil {
		return false
	}
	return slices.ContainsFunc(a.caps, func(c config.Capability) bool { return c.ReadMetrics })
}

// ChatUI reports whether the caller may use the chat UI: any role does,
// unless a capability says enable_chat_ui: false.
func (a *Access) ChatUI() bool {
	if a.Role() == None {
		return false
	}
	return !slices.ContainsFunc(a.caps, func(c config.Capability) bool {
		return c.EnableChatUI != nil && !*c.EnableChatUI
	})
}

// CORS returns the Access-Control-Allow-* values for a request to path,
// from capabilities that set set_cors and have a cors_paths glob matching
// path. When several match, the first non-empty value of each header
// wins. ok is false when no capability enables CORS for path.
func (a *Access) CORS(path string) (allowOrigin, allowMethods, allowHeaders string, ok bool) {
	if a == nil {
		return "", "", "", false
	}
	for _, c := range a.caps {
		if !c.SetCORS || !slices.ContainsFunc(c.CORSPaths, func(p string) bool { return Match(p, path) }) {
			continue
		}
		ok = true
		allowOrigin = cmp.Or(allowOrigin, c.AllowOrigin)
		allowMethods = cmp.Or(allowMethods, c.AllowMethods)
		allowHeaders = cmp.Or(allowHeaders, c.AllowHeaders)
	}
	return allowOrigin, allowMethods, allowHeaders, ok
}

// CustomCaps returns the non-gateway capabilities (any app key other than
// tailscale.com/cap/aperture) from matching config grants and from the
// caller's peer capabilities, for hooks that ask for "grants".
func (a *Access) CustomCaps() map[string][]json.RawMessage {
	if a == nil || len(a.custom) == 0 {
		return nil
	}
	out := make(map[string][]json.RawMessage, len(a.custom))
	for k, v := range a.custom {
		out[k] = slices.Clone(v)
	}
	return out
}
