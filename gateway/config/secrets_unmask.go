package config

import (
	"strings"

	"github.com/tailscale/hujson"
)

// RoutesFunc reports whether a grant capability whose models globs are
// globs (nil: every model) may send requests to provider id. Erring
// towards yes only costs an admin re-entering a header value. The
// gateway's is built on grants.Match, which this package cannot import.
type RoutesFunc func(globs []string, id string) bool

// UnmaskSecrets puts the stored secrets of cur back where text has their
// masks. A mask stands for the secret stored in the same place only (the
// same provider's apikey, the same hook, the same grant capability's
// header of the same name), and only while that place still sends it to
// the same server: otherwise whoever can save the config could move a
// stored key to a provider of theirs, or point its provider at their own
// server, and receive the key with the next request. Any other mask is
// an error, so a mask is never saved as if it were a key. Text that does
// not parse is returned as is for the parser to report.
func UnmaskSecrets(text, cur []byte, routes RoutesFunc) ([]byte, []Diagnostic) {
	root, err := hujson.Parse(text)
	if err != nil {
		return text, nil
	}
	var old []SecretSite
	oldDest := SecretDestinations{}
	if curRoot, err := hujson.Parse(cur); err == nil {
		old, oldDest = SecretSites(&curRoot), DestinationsOf(&curRoot)
	}
	newDest := DestinationsOf(&root)
	lines := newLineIndex(text)
	var diags []Diagnostic
	out := ReplaceSecrets(text, SecretSites(&root), func(s SecretSite) (string, bool) {
		if !IsMasked(s.Value) {
			return "", false
		}
		fail := func(msg string) {
			line, col := lines.position(s.Start)
			diags = append(diags, Diagnostic{Severity: Error, Line: line, Column: col, Path: s.Path, Message: msg})
		}
		stored, ok := storedFor(s, old)
		if !ok {
			fail(noStoredMessage(s))
			return "", false
		}
		if why := movedWhy(s, oldDest, newDest, routes); why != "" {
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
func storedFor(s SecretSite, old []SecretSite) (string, bool) {
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
		if s.Field == SecretHeader && HeaderName(o.Value) == HeaderName(s.Value) && !containsString(found, o.Value) {
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
func noStoredMessage(s SecretSite) string {
	what, again := "masked key", "enter the key itself, or env:NAME or file:PATH"
	switch s.Field {
	case SecretHeader:
		what, again = "masked header value", "enter the header value itself"
	case SecretURL:
		what, again = "masked credentials in this URL", "enter the URL with its credentials"
	}
	return "this " + what + " matches no stored value in this place (a stored secret never moves to another provider, hook or grant); " + again
}

// movedWhy says why a masked secret would now reach a server it was not
// given for, or "" when it would not.
func movedWhy(s SecretSite, oldDest, newDest SecretDestinations, routesTo RoutesFunc) string {
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
