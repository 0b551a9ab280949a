package grants

import (
	"slices"
	"strings"

	"github.com/tsplug/ts-plug/gateway/identity"
)

// MatchSrc reports whether one grant src selector matches the caller.
//
//   - "*" matches everyone: users, tagged devices and loopback callers.
//   - "(loopback)" matches callers on the local --listen listener.
//   - "tag:x" matches a tagged device that has tag x among its tags.
//   - "tag:a,tag:b" (a comma-joined tag set, in any order) matches a tagged
//     device whose tags are exactly that set, the string the dashboards
//     show for it.
//   - "group:…" never matches: the gateway does not receive group
//     membership, and failing closed is the safe reading.
//   - anything else is a login name, matched case-insensitively against
//     an untagged caller's login.
func MatchSrc(src string, id identity.Identity) bool {
	src = strings.TrimSpace(src)
	switch {
	case src == "":
		return false
	case src == "*":
		return true
	case src == identity.Loopback:
		return id.Loopback
	case id.Loopback:
		return false
	case strings.Contains(src, ","):
		if !id.Tagged() {
			return false
		}
		want := strings.Split(src, ",")
		for i := range want {
			want[i] = strings.TrimSpace(want[i])
		}
		slices.Sort(want)
		want = slices.Compact(want)
		have := slices.Clone(id.Tags)
		slices.Sort(have)
		return slices.Equal(want, have)
	case strings.HasPrefix(src, "tag:"):
		return id.Tagged() && slices.Contains(id.Tags, src)
	case strings.HasPrefix(src, "group:"):
		return false
	default:
		return !id.Tagged() && id.LoginName != "" && strings.EqualFold(src, id.LoginName)
	}
}

// matchAnySrc reports whether any selector in srcs matches the caller.
func matchAnySrc(srcs []string, id identity.Identity) bool {
	return slices.ContainsFunc(srcs, func(s string) bool { return MatchSrc(s, id) })
}
