package tunnel

import (
	"fmt"
	"slices"
	"strings"
)

// Principal is who a tailnet service that meters by identity (the
// aperture gateway) counts this device's requests against: the login that
// owns it, or for a tagged device its sorted tags joined by commas, which
// every device with the same tags shares. It is the rule of the gateway's
// identity.Principal, seen from the calling side.
func (s State) Principal() string {
	if len(s.Tags) > 0 {
		tags := slices.Clone(s.Tags)
		slices.Sort(tags)
		return strings.Join(tags, ",")
	}
	return s.LoginName
}

// UpLine is what prog prints once its device is up: the device, the
// identity it acts as, and who is billed for requests through it. An auth
// key decides that without a word otherwise: an untagged key makes the
// device its creator's, a tagged one makes everyone on the tag one
// principal.
func (s State) UpLine(prog string) string {
	name := s.DeviceName()
	who := s.Principal()
	if len(s.Tags) > 0 {
		return fmt.Sprintf("%s is up as %s (tagged %s, no user); requests through it are billed to %s, shared by every device with those tags",
			prog, name, strings.Join(s.Tags, ", "), who)
	}
	return fmt.Sprintf("%s is up as %s (%s); requests through it are billed to %s", prog, name, orDash(who), orDash(who))
}
