package config

import (
	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/identity"
)

// SecretDestinations says where the secrets of a config text are sent,
// by owner (SecretSite.Owner), so that a masked secret sent back on save
// is put back only where it would go to the same place as before.
type SecretDestinations struct {
	// Servers maps provider, hook and exporter owners to the server
	// their secrets go to: a provider's baseurl, a hook's url (both with
	// their credentials masked, so a new password is the same server),
	// the S3 exporter's endpoint and region.
	Servers map[string]string
	// Providers maps provider IDs to their owner path.
	Providers map[string]string
	// Models maps grant capability owners to their models globs; a
	// capability without any ("floating") maps to nil and sends its
	// add_headers to every provider.
	Models map[string][]string
}

// DestinationsOf reads the destinations of a parsed config tree. Where a
// member is duplicated the last one counts, as in parse.
func DestinationsOf(root *hujson.Value) SecretDestinations {
	d := SecretDestinations{Servers: map[string]string{}, Providers: map[string]string{}, Models: map[string][]string{}}
	str := func(v *hujson.Value, name string) string {
		obj, ok := v.Value.(*hujson.Object)
		if !ok {
			return ""
		}
		out := ""
		for i := range obj.Members {
			m := &obj.Members[i]
			if m.Name.Value.(hujson.Literal).String() != name {
				continue
			}
			out = ""
			if lit, ok := m.Value.Value.(hujson.Literal); ok && lit.Kind() == '"' {
				out = lit.String()
			}
		}
		return out
	}
	walkSteps(root, []string{"providers", "*"}, "", func(owner string, v *hujson.Value) {
		d.Servers[owner] = MaskURLCredentials(str(v, "baseurl"))
	})
	if obj, ok := memberValue(root, "providers"); ok {
		for i := range obj.Members {
			name := obj.Members[i].Name.Value.(hujson.Literal).String()
			d.Providers[name] = joinPath("providers", name)
		}
	}
	walkSteps(root, []string{"hooks", "*"}, "", func(owner string, v *hujson.Value) {
		d.Servers[owner] = MaskURLCredentials(str(v, "url"))
	})
	walkSteps(root, []string{"exporters", "s3"}, "", func(owner string, v *hujson.Value) {
		d.Servers[owner] = str(v, "endpoint") + " " + str(v, "region")
	})
	for _, list := range []string{"grants", "temp_grants"} {
		walkSteps(root, []string{list, "[]", "app", identity.CapAperture, "[]"}, "", func(owner string, v *hujson.Value) {
			d.Models[owner] = capabilityGlobs(v)
		})
	}
	return d
}

// memberValue returns the object value of root's last member called name.
func memberValue(root *hujson.Value, name string) (*hujson.Object, bool) {
	obj, ok := root.Value.(*hujson.Object)
	if !ok {
		return nil, false
	}
	var out *hujson.Object
	for i := range obj.Members {
		if obj.Members[i].Name.Value.(hujson.Literal).String() == name {
			out, _ = obj.Members[i].Value.Value.(*hujson.Object)
		}
	}
	return out, out != nil
}

// capabilityGlobs returns a capability object's "models" (one glob or a
// list); nil when it has none, or when they are not strings (parse warns
// and a save is refused; nil is the widest reading).
func capabilityGlobs(v *hujson.Value) []string {
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil
	}
	var globs []string
	for i := range obj.Members {
		m := &obj.Members[i]
		if m.Name.Value.(hujson.Literal).String() != "models" {
			continue
		}
		globs = nil
		switch t := m.Value.Value.(type) {
		case hujson.Literal:
			if t.Kind() == '"' {
				globs = []string{t.String()}
			}
		case *hujson.Array:
			for j := range t.Elements {
				lit, ok := t.Elements[j].Value.(hujson.Literal)
				if !ok || lit.Kind() != '"' {
					return nil
				}
				globs = append(globs, lit.String())
			}
		}
	}
	return globs
}
