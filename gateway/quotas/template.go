package quotas

import (
	"regexp"
	"sort"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// matcher recognizes the bucket names a definition expands to.
type matcher struct {
	def      string
	re       *regexp.Regexp
	literals int // characters outside placeholders: more is more specific
}

// placeholderRE finds the <user> and <node> templates in a definition name.
var placeholderRE = regexp.MustCompile(`<(user|node)>`)

// compileMatchers turns every definition name into a pattern in which
// <user> and <node> match anything, most specific first (then by name),
// so a saved balance, which is stored under its expanded name only, can
// be tied back to its definition after a restart.
func compileMatchers(defs map[string]*config.Quota) []matcher {
	out := make([]matcher, 0, len(defs))
	for def := range defs {
		parts := placeholderRE.Split(def, -1)
		quoted := make([]string, len(parts))
		n := 0
		for i, p := range parts {
			quoted[i] = regexp.QuoteMeta(p)
			n += len(p)
		}
		out = append(out, matcher{
			def:      def,
			re:       regexp.MustCompile(`^` + strings.Join(quoted, `.*`) + `$`),
			literals: n,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].literals != out[j].literals {
			return out[i].literals > out[j].literals
		}
		return out[i].def < out[j].def
	})
	return out
}

// resolve finds the definition a bucket name was expanded from: a
// definition of exactly that name, else the most specific template that
// matches. q is nil when none does.
func resolve(matchers []matcher, defs map[string]*config.Quota, name string) (def string, q *config.Quota) {
	if q := defs[name]; q != nil {
		return name, q
	}
	for _, mt := range matchers {
		if mt.re.MatchString(name) {
			return mt.def, defs[mt.def]
		}
	}
	return "", nil
}

// namedFor reports whether bucket name, of definition def, is named for
// principal: named principal itself, or def's template with <user> put
// as principal (and <node> as any node), as grants.ExpandBucket expands
// it for principal's requests.
func namedFor(name, def, principal string) bool {
	if name == principal {
		return true
	}
	if principal == "" || !strings.Contains(def, "<user>") {
		return false
	}
	pattern := placeholderRE.ReplaceAllStringFunc(regexp.QuoteMeta(def), func(p string) string {
		if p == "<user>" {
			return regexp.QuoteMeta(principal)
		}
		return `.*`
	})
	ok, _ := regexp.MatchString(`^`+pattern+`$`, name)
	return ok
}
