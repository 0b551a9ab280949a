package gateway

import (
	"bytes"
	"strings"

	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
)

// maskSecrets returns src with every secret masked (keys, add_headers
// values, credentials in URLs), as admins see it.
func maskSecrets(src []byte) ([]byte, error) { return config.MaskSecrets(src) }

// unmaskSecrets puts the stored secrets of cur back where text has their
// masks. A mask stands for the secret stored in the same place only (the
// same provider's apikey, the same hook, the same grant capability's
// header of the same name), and only while that place still sends it to
// the same server: otherwise whoever can save the config could move a
// stored key to a provider of theirs, or point its provider at their own
// server, and receive the key with the next request. Any other mask is
// an error, so a mask is never saved as if it were a key. Text that does
// not parse is returned as is for the parser to report.
func unmaskSecrets(text, cur []byte) ([]byte, []config.Diagnostic) {
	root, err := hujson.Parse(text)
	if err != nil {
		return text, nil
	}
	var old []config.SecretSite
	oldDest := config.SecretDestinations{}
	if curRoot, err := hujson.Parse(cur); err == nil {
		old, oldDest = config.SecretSites(&curRoot), config.DestinationsOf(&curRoot)
	}
	newDest := config.DestinationsOf(&root)
	var diags []config.Diagnostic
	out := config.ReplaceSecrets(text, config.SecretSites(&root), func(s config.SecretSite) (string, bool) {
		if !config.IsMasked(s.Value) {
			return "", false
		}
		fail := func(msg string) {
			line, col := offsetPosition(text, s.Start)
			diags = append(diags, config.Diagnostic{Severity: config.Error, Line: line, Column: col, Path: s.Path, Message: msg})
		}
		stored, ok := storedFor(s, old)
		if !ok {
			fail(noStoredMessage(s))
			return "", false
		}
		if why := movedWhy(s, oldDest, newDest); why != "" {
			fail(why)
			return "", false
		}
		return stored, true
	})
	return out, diags
}

// storedFor finds the stored secret a masked site stands for: the value
// at the same path whose mask it is, or for a header the one entry of
// the same owner with the same name and mask (headers may be reordered).
func storedFor(s config.SecretSite, old []config.SecretSite) (string, bool) {
	var found []string
	for _, o := range old {
		if o.Field != s.Field || o.Owner != s.Owner {
			continue
		}
		if m, _ := o.Mask(); m != s.Value {
			continue
		}
		if o.Path == s.Path {
			return o.Value, true
		}
		if s.Field == config.SecretHeader && config.HeaderName(o.Value) == config.HeaderName(s.Value) && !containsString(found, o.Value) {
			found = append(found, o.Value)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

func containsString(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// noStoredMessage explains a mask that stands for nothing stored here.
func noStoredMessage(s config.SecretSite) string {
	what, again := "masked key", "enter the key itself, or env:NAME or file:PATH"
	switch s.Field {
	case config.SecretHeader:
		what, again = "masked header value", "enter the header value itself"
	case config.SecretURL:
		what, again = "masked credentials in this URL", "enter the URL with its credentials"
	}
	return "this " + what + " matches no stored value in this place (a stored secret never moves to another provider, hook or grant); " + again
}

// movedWhy says why a masked secret would now reach a server it was not
// given for, or "" when it would not.
func movedWhy(s config.SecretSite, oldDest, newDest config.SecretDestinations) string {
	if globs, ok := newDest.Models[s.Owner]; ok {
		oldGlobs, had := oldDest.Models[s.Owner]
		if !had {
			return "this grant capability is new, so its stored header value is not reused; enter it again"
		}
		for id, owner := range newDest.Providers {
			if !routesTo(globs, id) {
				continue
			}
			oldOwner, existed := oldDest.Providers[id]
			if !existed || !routesTo(oldGlobs, id) || oldDest.Servers[oldOwner] != newDest.Servers[owner] {
				return "this grant's headers would now also be sent to provider \"" + id +
					"\" (new, newly matched by models, or with a changed baseurl), so the stored header value is not reused; enter it again"
			}
		}
		return ""
	}
	if oldDest.Servers[s.Owner] == newDest.Servers[s.Owner] {
		return ""
	}
	switch {
	case strings.HasPrefix(s.Owner, "providers"):
		return "this provider's baseurl changed, so its stored secret is not reused; enter it again (or env:NAME / file:PATH)"
	case strings.HasPrefix(s.Owner, "hooks"):
		return "this hook's url changed, so its stored secret is not reused; enter it again (or env:NAME / file:PATH)"
	}
	return "this exporter's endpoint or region changed, so its stored secret is not reused; enter it again"
}

// routesTo reports whether a capability with these models globs (nil:
// every model) may send requests to provider id. It errs towards yes:
// only the glob's provider segment is compared.
func routesTo(globs []string, id string) bool {
	if globs == nil {
		return true
	}
	for _, g := range globs {
		first, _, _ := strings.Cut(g, "/")
		if first == "**" || grants.Match(first, id) {
			return true
		}
	}
	return false
}

// offsetPosition is the 1-based line and column of byte offset off in src.
func offsetPosition(src []byte, off int) (line, col int) {
	off = min(off, len(src))
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	return line, off - bytes.LastIndexByte(src[:off], '\n')
}
