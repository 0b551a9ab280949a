package gateway

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/tailscale/hujson"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
)

// Secret references in saved configs. "env:NAME" and "file:PATH" are read
// on the gateway host, so a config saved through the API that could name
// any of them would let whoever may save the config read any environment
// variable (the tailnet auth key among them) or any file of the host:
// point a provider at their own server with such an apikey, send one
// request. A saved config may therefore use only the references the
// host's own admin allowed: those in the config files the host admin
// wrote (the one the gateway started with and its later versions on
// disk) and those matching Options.AllowedSecretRefs.

// allowSecretRefFlag is how a refusal tells the host admin to allow a
// reference when starting the gateway (the command-line flag that fills
// Options.AllowedSecretRefs).
const allowSecretRefFlag = "--allow-secret-ref"

// secretRefPolicy decides which references a saved config may use. A
// reference found in a host-written config is allowed only for the
// server it was given for there, as a masked key is: otherwise a config
// admin could point the provider holding "env:ANTHROPIC_API_KEY" at their
// own server. An allow-list pattern allows its references anywhere.
type secretRefPolicy struct {
	baseDir  string   // where relative file: paths are read from
	patterns []string // normalized AllowedSecretRefs
	// patternsOnly is set while replicas share the config: a config text
	// then comes from the shared database, saved on any replica (or
	// written there by whoever can write the database), and this host's
	// config file is a copy of it, so no text approves anything: only
	// this host's own allow-list does.
	patternsOnly bool
	mu           sync.Mutex
	approved     map[string]map[string]bool // normalized reference → destinations it was written for
}

// grantDestination stands for "some grant capability" in
// secretRefPolicy.approved: grant add_headers go wherever the grant's
// models route, so a reference approved there is approved in grants only.
const grantDestination = "(grant)"

// siteDestination is where the secret of site goes, per dests.
func siteDestination(site config.SecretSite, dests config.SecretDestinations) string {
	if d, ok := dests.Servers[site.Owner]; ok {
		return d
	}
	return grantDestination
}

// newSecretRefPolicy checks the allow-list patterns: each is "env:" or
// "file:" followed by a path.Match pattern ("env:ANTHROPIC_*",
// "file:/etc/aperture/keys/*"); relative file: patterns are taken from
// the config file's directory, like the references they match.
func newSecretRefPolicy(patterns []string, configPath string) (*secretRefPolicy, error) {
	p := &secretRefPolicy{approved: map[string]map[string]bool{}}
	if configPath != "" {
		p.baseDir = filepath.Dir(configPath)
	}
	for _, pat := range patterns {
		if !config.IsSecretRef(pat) || pat == "env:" || pat == "file:" {
			return nil, fmt.Errorf("allowed secret reference %q must be env:NAME or file:PATH (patterns such as env:ANTHROPIC_* allowed)", pat)
		}
		n := config.NormalizeSecretRef(pat, p.baseDir)
		if _, err := path.Match(n, ""); err != nil {
			return nil, fmt.Errorf("allowed secret reference %q: %w", pat, err)
		}
		p.patterns = append(p.patterns, n)
	}
	return p, nil
}

// approveText records the references of a config text the host's admin
// is responsible for, each with the server it is sent to. A text that
// does not parse approves nothing.
func (p *secretRefPolicy) approveText(src []byte) {
	if p.patternsOnly {
		return
	}
	root, err := hujson.Parse(src)
	if err != nil {
		return
	}
	dests := config.DestinationsOf(&root)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range config.SecretSites(&root) {
		if ref, ok := s.Ref(); ok {
			n := config.NormalizeSecretRef(ref, p.baseDir)
			if p.approved[n] == nil {
				p.approved[n] = map[string]bool{}
			}
			p.approved[n][siteDestination(s, dests)] = true
		}
	}
}

// allows reports whether ref may be sent to dest in a saved config, and
// if not whether the host's admin wrote it for some other destination.
func (p *secretRefPolicy) allows(ref, dest string) (ok, elsewhere bool) {
	n := config.NormalizeSecretRef(ref, p.baseDir)
	for _, pat := range p.patterns {
		// "*" never crosses "/", so "file:/etc/aperture/*" does not
		// reach into subdirectories, and n is clean, so ".." is gone.
		if m, _ := path.Match(pat, n); m {
			return true, false
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.approved[n][dest], len(p.approved[n]) > 0
}

// checkSecretRefs refuses every env:/file: reference of text the host's
// admin did not allow, before anything in it is resolved. The config in
// force and the file on disk are approved first: both were written by
// the host's admin or saved through this check.
func (s *Server) checkSecretRefs(text []byte) []config.Diagnostic {
	root, err := hujson.Parse(text)
	if err != nil {
		return nil // parse stops at the syntax error, before resolving
	}
	_, cur := s.Config()
	s.refs.approveText(cur)
	if s.opts.ConfigPath != "" {
		if disk, err := os.ReadFile(s.opts.ConfigPath); err == nil {
			s.refs.approveText(disk)
		}
	}
	dests := config.DestinationsOf(&root)
	var diags []config.Diagnostic
	for _, site := range config.SecretSites(&root) {
		ref, isRef := site.Ref()
		if !isRef {
			continue
		}
		ok, elsewhere := s.refs.allows(ref, siteDestination(site, dests))
		if ok {
			continue
		}
		line, col := offsetPosition(text, site.Start)
		diags = append(diags, config.Diagnostic{Severity: config.Error, Line: line, Column: col, Path: site.Path,
			Message: s.refusedRefMessage(site, ref, elsewhere)})
	}
	return diags
}

// refusedRefMessage says which owner and field name ref, what it would
// read, why that is refused and how the host admin can allow it.
func (s *Server) refusedRefMessage(site config.SecretSite, ref string, elsewhere bool) string {
	what := "environment variable " + strings.TrimPrefix(ref, "env:")
	if name, ok := strings.CutPrefix(ref, "file:"); ok {
		what = "file " + name
	}
	field := site.Path[len(site.Owner):]
	field = strings.TrimPrefix(field, ".")
	where := "the config file on the gateway host"
	if s.opts.ConfigPath != "" {
		where = s.opts.ConfigPath + " on the gateway host"
	}
	use := "enter the key itself"
	reads := fmt.Sprintf("would make the gateway read %s on its host", what)
	if site.Field == config.SecretHeader {
		use = "enter the header value itself"
		reads = fmt.Sprintf("names %s of the gateway host (add_headers values are sent as written)", what)
	}
	allowed := "a config saved here may only use the env:/file: references the host's admin allowed"
	if s.refs.patternsOnly {
		// Shared by replicas: writing the reference into a file does not
		// help, the file is a copy of the shared config.
		// A literal key is refused too while the config is shared, so
		// the way out is the flag, on every replica.
		return fmt.Sprintf("%s: %s %q %s, and while replicas share the config a reference is used only where the host allows it; "+
			"remove it, or start this and every other replica with %s %s (patterns such as env:ANTHROPIC_* work) and give each host that %s",
			ownerName(site.Owner), field, ref, reads, allowSecretRefFlag, strconv.Quote(ref), map[bool]string{true: "file", false: "variable"}[strings.HasPrefix(ref, "file:")])
	}
	if elsewhere {
		allowed = "the host's admin wrote this reference into the config for another server (or another provider, hook or grant), " +
			"and a saved config may not send it anywhere else"
	}
	return fmt.Sprintf("%s: %s %q %s, and %s; "+
		"%s, or ask the host's admin to allow it here by writing it into %s, or by starting the gateway with %s %s (patterns such as env:ANTHROPIC_* work)",
		ownerName(site.Owner), field, ref, reads, allowed, use, where, allowSecretRefFlag, strconv.Quote(ref))
}

// ownerName describes a secret's owner for a diagnostic: `provider
// "openai"`, `hook "audit"`, "the S3 exporter", or the grant
// capability's path.
func ownerName(owner string) string {
	for prefix, kind := range map[string]string{"providers": "provider", "hooks": "hook"} {
		if rest, ok := strings.CutPrefix(owner, prefix); ok {
			if id, ok := strings.CutPrefix(rest, "."); ok {
				return fmt.Sprintf("%s %q", kind, id)
			}
			if q, ok := strings.CutPrefix(rest, "["); ok {
				if id, err := strconv.Unquote(strings.TrimSuffix(q, "]")); err == nil {
					return fmt.Sprintf("%s %q", kind, id)
				}
			}
		}
	}
	if owner == "exporters.s3" {
		return "the S3 exporter"
	}
	return "grant capability " + owner
}

// routesTo reports whether a capability with these models globs (nil:
// every model) may send requests to provider id, for
// config.UnmaskSecrets. It errs towards yes: only the glob's provider
// segment is compared.
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
