package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// Secret masking. The config text shown to admins (the config API, the
// Settings page, the config history) keeps its comments and layout, but
// every literal secret is replaced by a mask showing at most its first
// characters. env: and file: references name a secret without being one
// and are shown as they are.

// MaskSuffix ends every masked value.
const MaskSuffix = "…(masked)"

// IsMasked reports whether a config string carries a mask, which a save
// sends back to mean "the stored value, unchanged".
func IsMasked(v string) bool { return strings.Contains(v, MaskSuffix) }

// MaskValue masks a key, keeping its first four characters when it is
// long enough that they give little away and tell keys apart. References
// and "" are returned as they are, and so are masks, so masking a masked
// text changes nothing.
func MaskValue(v string) string {
	if v == "" || IsSecretRef(v) || IsMasked(v) {
		return v
	}
	if r := []rune(v); len(r) >= 16 {
		return string(r[:4]) + MaskSuffix
	}
	return MaskSuffix
}

// Mask returns the site's value as admins see it: a key masked, a
// header with its value masked (its name kept), a URL with its userinfo
// masked. The second result is false when nothing needed masking.
func (s SecretSite) Mask() (string, bool) {
	var m string
	switch s.Field {
	case SecretKey:
		m = MaskValue(s.Value)
	case SecretHeader:
		m = maskHeader(s.Value)
	case SecretURL:
		m = MaskURLCredentials(s.Value)
	}
	return m, m != s.Value
}

// maskHeader masks the value of an "Name: value" entry. An entry without
// a colon (which parse refuses) is masked whole, since it may be a value.
func maskHeader(entry string) string {
	name, value, ok := strings.Cut(entry, ":")
	if !ok {
		return MaskValue(entry)
	}
	value = strings.TrimSpace(value)
	if value == "" || IsSecretRef(value) {
		return entry
	}
	return name + ": " + MaskValue(value)
}

// HeaderName is the name of an add_headers entry, lower-cased, or "" when
// it has none.
func HeaderName(entry string) string {
	name, _, ok := strings.Cut(entry, ":")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(name))
}

// MaskURLCredentials replaces the userinfo of an absolute URL
// ("https://user:pass@host/v1") with the mask, leaving every other byte
// as it is; a URL without userinfo is returned unchanged.
func MaskURLCredentials(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return u
	}
	return scheme + "://" + MaskSuffix + rest[at:]
}

// Ref returns the env: or file: reference the site names, if any. A
// header's value counts although parse does not read it, so that saving
// through the config API gates every string that looks like one.
func (s SecretSite) Ref() (string, bool) {
	v := s.Value
	switch s.Field {
	case SecretHeader:
		_, value, _ := strings.Cut(v, ":")
		v = strings.TrimSpace(value)
	case SecretURL:
		return "", false
	}
	return v, IsSecretRef(v)
}

// ReplaceSecrets returns src with the literal of every site (in text
// order) for which repl answers true replaced by the string it returns.
// Comments, layout and every other byte stay as they are.
func ReplaceSecrets(src []byte, sites []SecretSite, repl func(SecretSite) (string, bool)) []byte {
	var out bytes.Buffer
	last := 0
	for _, s := range sites {
		v, ok := repl(s)
		if !ok {
			continue
		}
		out.Write(src[last:s.Start])
		out.Write(hujson.String(v))
		last = s.End
	}
	out.Write(src[last:])
	return out.Bytes()
}

// MaskSecrets returns src with every secret masked. A text that does not
// parse is an error: it cannot be masked, so it must not be shown.
func MaskSecrets(src []byte) ([]byte, error) {
	if len(bytes.TrimSpace(src)) == 0 {
		return src, nil
	}
	root, err := hujson.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	return ReplaceSecrets(src, SecretSites(&root), SecretSite.Mask), nil
}
