package hooks

import (
	"cmp"
	"slices"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Bound is a hook wired to a request by its grants: the hook, and the
// fields its send_hooks ask to send.
type Bound struct {
	Hook *config.Hook
	Send []string
}

// Chain returns the hooks refs wires to ev, in the order they run:
// preference, highest first, then name. A hook that is disabled, or that
// refs names but the config does not define, is left out.
func Chain(defs map[string]*config.Hook, refs []config.HookRef, ev Event) []Bound {
	var out []Bound
	for _, ref := range refs {
		h := defs[ref.Name]
		if h == nil || h.Disabled || h.URL == "" || !slices.Contains(ref.Events, string(ev)) {
			continue
		}
		out = append(out, Bound{Hook: h, Send: ref.Send})
	}
	slices.SortFunc(out, func(a, b Bound) int {
		if c := cmp.Compare(b.Hook.Preference, a.Hook.Preference); c != 0 {
			return c
		}
		return cmp.Compare(a.Hook.Name, b.Hook.Name)
	})
	return out
}
