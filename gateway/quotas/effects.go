package quotas

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// ChangeEffects says what installing next (Configure) would do to the
// buckets that exist now, for an admin about to save a config: which
// balances would be dropped (a definition removed, or renamed: balances
// belong to names) and which cut to a lower capacity. It changes nothing.
func (m *Manager) ChangeEffects(next map[string]*config.Quota) []string {
	if m.shared != nil {
		return m.shared.changeEffects(next)
	}
	now := m.now()
	m.mu.Lock()
	bs := make([]*bucket, 0, len(m.buckets))
	for _, b := range m.buckets {
		c := *b
		c.advance(now)
		bs = append(bs, &c)
	}
	cur := m.defs
	m.mu.Unlock()
	return changeEffects(bs, cur, next)
}

// changeEffects is ChangeEffects for buckets bs, up to date, under the
// current definitions cur.
func changeEffects(bs []*bucket, cur, next map[string]*config.Quota) []string {
	type group struct {
		names []string
		spent int64 // below capacity, in total
		above int   // balances above next's capacity
	}
	groups := map[string]*group{}
	for _, b := range bs {
		g := groups[b.def]
		if g == nil {
			g = &group{}
			groups[b.def] = g
		}
		g.names = append(g.names, b.name)
		bal := b.nanos
		g.spent += max(b.q.Capacity-bal, 0)
		if q := next[b.def]; q != nil && q.Err == nil && bal > q.Capacity {
			g.above++
		}
	}

	var out []string
	for _, def := range slices.Sorted(maps.Keys(groups)) {
		g := groups[def]
		slices.Sort(g.names)
		q, old := next[def], cur[def]
		switch {
		case q == nil:
			out = append(out, fmt.Sprintf("quotas.%s is removed (or renamed): the balances of its %d bucket(s) (%s; %s spent) are dropped, and buckets under a new name start full",
				def, len(g.names), listShort(g.names), FormatDollars(g.spent)))
		case q.Err != nil:
			// The config's own diagnostics say why; requests are refused.
		case g.above > 0:
			out = append(out, fmt.Sprintf("quotas.%s: capacity lowered to %s: %d bucket(s) above it are cut to it", def, FormatDollars(q.Capacity), g.above))
		case old != nil && old.Calendar() != q.Calendar():
			out = append(out, fmt.Sprintf("quotas.%s changes from %q to %q: balances are kept (up to the capacity) and fill the new way from now", def, old.Describe(), q.Describe()))
		}
	}
	return out
}

// listShort names up to three items and how many more.
func listShort(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}
