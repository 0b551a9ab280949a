package config

import (
	"strings"

	"github.com/tailscale/hujson"
)

// parseSharedDeviceTags decodes "shared_device_tags": the tags of the
// devices (ts-unplug run with --local-users on a machine several people
// share) whose Tailscale-Local-User header the gateway records as the
// local user behind each request. Only tagged devices can be listed: a
// device owned by a user already names that user, and a tag is what an
// admin controls (who may apply it is in the tailnet policy).
func (w *walker) parseSharedDeviceTags(v *hujson.Value, pth string) []string {
	arr, ok := v.Value.(*hujson.Array)
	if !ok {
		w.fail(v, pth, "shared_device_tags must be an array of tags such as \"tag:lab-unplug\", not %s", kindName(v))
		return nil
	}
	var tags []string
	for i := range arr.Elements {
		ev := &arr.Elements[i]
		epth := indexPath(pth, i)
		s, ok := w.str(ev, epth)
		if !ok {
			continue
		}
		if !validTag(s) {
			w.fail(ev, epth, "shared_device_tags: %q is not a tag: write tag:NAME (letters, digits and dashes, starting with a letter), "+
				"the tag the shared ts-unplug devices advertise", s)
			continue
		}
		tags = append(tags, s)
	}
	return tags
}

// validTag reports whether s is "tag:" and a tag name as Tailscale's
// policy accepts it.
func validTag(s string) bool {
	name, ok := strings.CutPrefix(s, "tag:")
	if !ok || name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}
