package config

import (
	"sort"

	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/identity"
)

// SecretField says what part of a config string is secret, which decides
// how it is masked for admins and how a mask is put back on save.
type SecretField int

const (
	// SecretKey is a whole value: a provider's or hook's apikey, the S3
	// exporter's access_secret. It may be an env:/file: reference.
	SecretKey SecretField = iota
	// SecretHeader is an add_headers entry "Name: value": the value is
	// secret (it may be a credential), the name is not.
	SecretHeader
	// SecretURL is a baseurl or hook url: only the credentials in its
	// userinfo ("https://user:pass@host") are secret.
	SecretURL
)

// SecretSite is one string in a config text that holds a secret or may
// hold one.
type SecretSite struct {
	// Path is the member's diagnostic path ("providers.openai.apikey",
	// "providers.openai.add_headers[0]"), as parse reports it.
	Path string
	// Owner is the path of the object whose destination the secret is
	// sent to: "providers.openai", "hooks.audit", "exporters.s3", or a
	// grant capability such as `grants[0].app["tailscale.com/cap/aperture"][1]`.
	Owner string
	Field SecretField
	// Start and End are the byte offsets of the quoted literal.
	Start, End int
	Value      string // the string, unquoted
}

// secretPattern is a path through the config tree to secret strings:
// "*" is any member of a map-like object, "[]" any array element.
type secretPattern struct {
	steps []string
	owner int // how many steps lead to the owner object
	field SecretField
}

// secretPatterns lists every config member holding a secret. Every field
// parse resolves with resolveSecret must be here (TestSecretSitesCoverResolvedFields
// checks it), or the config API would not gate its env:/file: references.
var secretPatterns = []secretPattern{
	{[]string{"providers", "*", "apikey"}, 2, SecretKey},
	{[]string{"providers", "*", "baseurl"}, 2, SecretURL},
	{[]string{"providers", "*", "add_headers", "[]"}, 2, SecretHeader},
	{[]string{"hooks", "*", "apikey"}, 2, SecretKey},
	{[]string{"hooks", "*", "url"}, 2, SecretURL},
	{[]string{"exporters", "s3", "access_secret"}, 2, SecretKey},
	{[]string{"grants", "[]", "app", identity.CapAperture, "[]", "add_headers", "[]"}, 5, SecretHeader},
	{[]string{"temp_grants", "[]", "app", identity.CapAperture, "[]", "add_headers", "[]"}, 5, SecretHeader},
}

// SecretSites returns the secret-bearing string values of a parsed config
// tree, in text order. Duplicate members are all returned (parse uses
// the last one, but a check must see every one).
func SecretSites(root *hujson.Value) []SecretSite {
	var out []SecretSite
	for _, p := range secretPatterns {
		walkSteps(root, p.steps[:p.owner], "", func(owner string, v *hujson.Value) {
			walkSteps(v, p.steps[p.owner:], owner, func(path string, v *hujson.Value) {
				if lit, ok := v.Value.(hujson.Literal); ok && lit.Kind() == '"' {
					out = append(out, SecretSite{Path: path, Owner: owner, Field: p.field, Start: v.StartOffset, End: v.EndOffset, Value: lit.String()})
				}
			})
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// walkSteps calls fn with every value reached from v (at path) through
// steps: a member name, "*" for any member of an object, "[]" for any
// element of an array. Paths are built as parse builds them.
func walkSteps(v *hujson.Value, steps []string, path string, fn func(path string, v *hujson.Value)) {
	if len(steps) == 0 {
		fn(path, v)
		return
	}
	switch want := steps[0]; t := v.Value.(type) {
	case *hujson.Object:
		for i := range t.Members {
			m := &t.Members[i]
			name := m.Name.Value.(hujson.Literal).String()
			if want == "*" || want == name {
				walkSteps(&m.Value, steps[1:], joinPath(path, name), fn)
			}
		}
	case *hujson.Array:
		if want != "[]" {
			return
		}
		for i := range t.Elements {
			walkSteps(&t.Elements[i], steps[1:], indexPath(path, i), fn)
		}
	}
}
