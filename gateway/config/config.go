package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"github.com/tailscale/hujson"
)

// DefaultReserveOutputTokens is the output a request is held for when it
// sets no output limit and its model's maximum is unknown, and the step a
// stream of such a request draws more by.
const DefaultReserveOutputTokens = 4096

// Config is a parsed gateway configuration document.
type Config struct {
	Providers  map[string]*Provider // by provider ID
	Grants     []Grant
	TempGrants []Grant // deprecated alias of Grants, still honoured
	Quotas     map[string]*Quota
	Hooks      map[string]*Hook
	Database   Database
	// Export is the "exporters" block decoded (Exporters keeps its text).
	Export Exporters
	// AutoCostBasis lets providers without cost_basis get one inferred.
	AutoCostBasis bool
	// ReserveOutputTokens is the output held for a request that sets no
	// output limit to a model whose maximum is unknown, and the step by
	// which its stream draws more (see gateway.hold).
	ReserveOutputTokens int
	// CallerLimits bounds what one caller may hold at once.
	CallerLimits CallerLimits
	// SharedDeviceTags are the tags of shared ts-unplug devices, whose
	// requests name their local OS user (Tailscale-Local-User); the
	// gateway records it on the ledger and never grants by it.
	SharedDeviceTags []string
	// Known sections the gateway does not implement yet, kept as raw JSON
	// so they round-trip and do not raise unknown-key warnings.
	Exporters, MCP, Flags, Connectors, ChatModels, Sandboxes json.RawMessage
	// Hash is Hash(src) of the text this config was parsed from.
	Hash string
}

// AllGrants returns Grants followed by TempGrants.
func (c *Config) AllGrants() []Grant {
	return append(slices.Clip(c.Grants), c.TempGrants...)
}

// ProviderIDs returns the provider IDs in sorted order.
func (c *Config) ProviderIDs() []string {
	ids := make([]string, 0, len(c.Providers))
	for id := range c.Providers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Hash returns the hex SHA-256 of a config text. Clients send back the hash
// of the config they edited so a save based on a stale copy is refused.
func Hash(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// Parse parses a HuJSON config document. It returns every diagnostic found;
// the error is non-nil (and the Config nil) only when the document has a
// syntax error or an Error-severity diagnostic. Relative file: key paths
// are resolved from the working directory.
func Parse(src []byte) (*Config, []Diagnostic, error) {
	return parse(src, "")
}

// Load reads and parses the config file at path. Relative file: key paths
// are resolved from the config file's directory.
func Load(path string) (*Config, []Diagnostic, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, diags, err := parse(src, filepath.Dir(path))
	if err != nil {
		return nil, diags, fmt.Errorf("loading config %s: %w", path, err)
	}
	return cfg, diags, nil
}

// ParseFile parses src, the text of the config file at path, resolving
// relative file: key paths from the file's directory (as Load does), for
// callers that already read the file, e.g. to compare it with the text
// in force before parsing.
func ParseFile(path string, src []byte) (*Config, []Diagnostic, error) {
	cfg, diags, err := parse(src, filepath.Dir(path))
	if err != nil {
		return nil, diags, fmt.Errorf("loading config %s: %w", path, err)
	}
	return cfg, diags, nil
}

// syntaxPosRE pulls the position out of hujson's syntax error text.
var syntaxPosRE = regexp.MustCompile(`^hujson: line (\d+), column (\d+): `)

func parse(src []byte, baseDir string) (*Config, []Diagnostic, error) {
	w := &walker{lines: newLineIndex(src)}
	root, err := hujson.Parse(src)
	if err != nil {
		d := Diagnostic{Severity: Error, Message: err.Error()}
		if m := syntaxPosRE.FindStringSubmatch(err.Error()); m != nil {
			d.Line, _ = strconv.Atoi(m[1])
			d.Column, _ = strconv.Atoi(m[2])
			d.Message = err.Error()[len(m[0]):]
		}
		return nil, []Diagnostic{d}, fmt.Errorf("config syntax error at line %d, column %d: %s", d.Line, d.Column, d.Message)
	}
	cfg := &Config{
		AutoCostBasis:       true,
		ReserveOutputTokens: DefaultReserveOutputTokens,
		CallerLimits:        CallerLimits{MaxConcurrent: DefaultMaxConcurrentPerCaller, MaxBufferedBytes: DefaultMaxBufferedBytesPerCaller},
		Database:            Database{Retention: defaultRetention()},
		Hash:                Hash(src),
	}
	w.cfg = cfg
	obj, ok := root.Value.(*hujson.Object)
	if !ok {
		w.fail(&root, "", "config must be a JSON object, not %s", kindName(&root))
		return nil, w.diags, fmt.Errorf("invalid config: line %d: %s", w.diags[0].Line, w.diags[0].Message)
	}
	// Sections of Aperture's format the gateway does not act on: kept so
	// they round-trip, and refused unless empty.
	raw := func(dst *json.RawMessage) fieldFunc {
		return func(v *hujson.Value, pth string) {
			*dst = toJSON(v)
			w.refuseUnbuilt(v, pth, pth)
		}
	}
	w.members(obj, "", map[string]fieldFunc{
		"providers": func(v *hujson.Value, pth string) {
			o, ok := v.Value.(*hujson.Object)
			if !ok {
				w.fail(v, pth, "providers must be an object keyed by provider ID, not %s", kindName(v))
				return
			}
			cfg.Providers = map[string]*Provider{}
			w.eachMember(o, pth, func(id string, v *hujson.Value, pth string) {
				if p := w.parseProvider(id, v, pth, baseDir); p != nil {
					cfg.Providers[id] = p
				}
			})
		},
		"grants":      func(v *hujson.Value, pth string) { cfg.Grants = w.parseGrants(v, pth, false) },
		"temp_grants": func(v *hujson.Value, pth string) { cfg.TempGrants = w.parseGrants(v, pth, true) },
		"quotas":      func(v *hujson.Value, pth string) { cfg.Quotas = w.parseQuotas(v, pth) },
		"hooks":       func(v *hujson.Value, pth string) { cfg.Hooks = w.parseHooks(v, pth, baseDir) },
		"database":    func(v *hujson.Value, pth string) { cfg.Database = w.parseDatabase(v, pth) },
		"auto_cost_basis": func(v *hujson.Value, pth string) {
			if b, ok := w.boolean(v, pth); ok {
				cfg.AutoCostBasis = b
			}
		},
		"reserve_output_tokens": func(v *hujson.Value, pth string) {
			n, ok := w.integer(v, pth)
			if !ok {
				return
			}
			if n < 0 || n > 10_000_000 {
				w.warn(v, pth, "reserve_output_tokens %d out of range (0..10000000)", n)
				return
			}
			cfg.ReserveOutputTokens = int(n)
		},
		"caller_limits": func(v *hujson.Value, pth string) { cfg.CallerLimits = w.parseCallerLimits(v, pth) },
		"exporters":     w.exportersField(cfg, baseDir),
		"mcp":           raw(&cfg.MCP),
		"flags":         raw(&cfg.Flags),
		"connectors":    raw(&cfg.Connectors),
		"chat_models":   raw(&cfg.ChatModels),
		"sandboxes":     raw(&cfg.Sandboxes),

		"shared_device_tags": func(v *hujson.Value, pth string) {
			cfg.SharedDeviceTags = w.parseSharedDeviceTags(v, pth)
		},
	})
	w.crossCheck(cfg, &root, obj)
	if HasErrors(w.diags) {
		for _, d := range w.diags {
			if d.Severity == Error {
				return nil, w.diags, fmt.Errorf("invalid config: line %d: %s: %s", d.Line, d.Path, d.Message)
			}
		}
	}
	return cfg, w.diags, nil
}
