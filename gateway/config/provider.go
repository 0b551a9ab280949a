package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/tailscale/hujson"
)

// Authorization types: how the provider key is sent upstream.
const (
	AuthBearer      = "bearer"         // Authorization: Bearer <key>
	AuthXAPIKey     = "x-api-key"      // x-api-key: <key> (Anthropic)
	AuthXGoogAPIKey = "x-goog-api-key" // x-goog-api-key: <key> (Gemini)
)

// Auth modes: which credential a provider's upstream requests carry.
const (
	// AuthModeOverride injects the provider's apikey in place of whatever
	// the caller sent (the default).
	AuthModeOverride = "override"
	// AuthModePassthrough forwards the caller's own credential headers
	// (and Gemini's ?key=), so a subscription login such as Claude
	// Pro/Max is used, and bills, as the caller's.
	AuthModePassthrough = "passthrough"
	// AuthModeNone sends no credential at all, for servers that need none
	// or authenticate by network.
	AuthModeNone = "none"
)

// InjectsKey reports whether the provider's own apikey goes upstream.
func (p *Provider) InjectsKey() bool { return p.AuthMode == "" || p.AuthMode == AuthModeOverride }

// authModeSends says what a provider in a mode other than override sends
// upstream, for diagnostics.
func authModeSends(mode string) string {
	if mode == AuthModePassthrough {
		return "the caller's own credential header is forwarded as sent"
	}
	return "no credential is sent"
}

// KnownCompatibility lists every compatibility flag the config accepts.
// Only the four in APIs are served today; the others are accepted so
// configs written for the hosted product load without warnings.
var KnownCompatibility = []API{
	OpenAIChat, OpenAIResponses, AnthropicMessages, GeminiGenerateContent,
	"google_generate_content", "google_raw_predict",
	"bedrock_model_invoke", "bedrock_converse",
	"experimental_gemini_cli_vertex_compat",
}

// KnownCostBases lists the pricing services cost_basis may name.
var KnownCostBases = []string{
	"anthropic", "openai", "google", "vertex", "bedrock", "bedrock-us",
	"bedrock-eu", "bedrock-ap", "azure", "azure-eu", "openrouter", "vercel", "none",
}

// Provider is one upstream: a base URL, a credential, the model IDs it
// serves and the API formats it speaks.
type Provider struct {
	ID            string // key in the providers map; first segment of model FQNs
	BaseURL       string
	APIKey        string // resolved key (env:/file: already read); "" when none
	Models        []string
	Authorization string       // AuthBearer, AuthXAPIKey or AuthXGoogAPIKey; never empty
	Compatibility map[API]bool // API formats served; {openai_chat:true} when absent
	Name          string
	Description   string
	Preference    int // higher wins when several providers serve a model
	Disabled      bool
	AddHeaders    []string // "Name: value" entries added to upstream requests
	CostBasis     string   // pricing service as configured ("" = infer)
	ModelCostMap  []CostMapping
	Pricing       map[string]Price // per model ID overrides
	AuthMode      string           // AuthModeOverride, AuthModePassthrough or AuthModeNone ("" is override)
}

// CostMapping prices models whose ID matches Match (a path.Match glob) as
// the known model As, multiplied by Adjustment (1.0 when unset). The first
// matching entry wins.
type CostMapping struct {
	Match      string
	As         string
	Adjustment float64
}

// Price is a per-model price in nanodollars per million tokens, so
// "$3.00" per million input tokens is Input = 3_000_000_000. Keeping it as
// an integer avoids float rounding when costs are summed.
type Price struct {
	Input        int64
	Output       int64
	CacheRead    int64
	CacheWrite   int64 // 5-minute cache writes
	CacheWrite1h int64
}

// Serves reports whether the provider speaks api.
func (p *Provider) Serves(api API) bool { return p.Compatibility[api] }

// HasModel reports whether the provider lists model ID m.
func (p *Provider) HasModel(m string) bool { return slices.Contains(p.Models, m) }

// DisplayName returns Name, or the ID when no name is set.
func (p *Provider) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

// Headers returns the parsed add_headers entries, skipping invalid ones.
func (p *Provider) Headers() []Header { return ParseHeaders(p.AddHeaders) }

// EffectiveCostBasis returns the pricing service for this provider: the
// configured cost_basis ("none" is ""), or when auto is true one inferred
// (auto_cost_basis). The base URL's host decides first: a well-known
// provider's own ("api.openai.com" is "openai", OpenRouter bills at its
// own prices although it speaks OpenAI's API). A self-hosted upstream
// (loopback, private or tailnet addresses, "localhost", .local,
// .internal, .ts.net, single-label names) gets "": a local model is not
// billed at a vendor's prices because it speaks the vendor's API. Then
// the compatibility flags: anthropic_messages is "anthropic",
// gemini_generate_content "google". Anything else, OpenAI-compatible
// services and Bedrock (whose regional price lists differ) included, is
// "": its requests are not priced.
func (p *Provider) EffectiveCostBasis(auto bool) string {
	if p.CostBasis != "" {
		if p.CostBasis == "none" {
			return ""
		}
		return p.CostBasis
	}
	if !auto {
		return ""
	}
	host := ""
	if u, err := url.Parse(p.BaseURL); err == nil {
		host = strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	}
	switch {
	case host == "api.openai.com":
		return "openai"
	case host == "api.anthropic.com":
		return "anthropic"
	case host == "generativelanguage.googleapis.com":
		return "google"
	case strings.HasSuffix(host, "aiplatform.googleapis.com"):
		return "vertex"
	case host == "openrouter.ai":
		return "openrouter"
	case host == "ai-gateway.vercel.sh":
		return "vercel"
	case strings.HasSuffix(host, ".azure.com"):
		return "azure"
	case strings.Contains(host, "bedrock"):
		return ""
	case selfHosted(host):
		return ""
	case p.Compatibility[AnthropicMessages]:
		return "anthropic"
	case p.Compatibility[GeminiGenerateContent]:
		return "google"
	}
	return ""
}

// cgnat is 100.64.0.0/10, where tailnet peers' addresses are.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// selfHosted reports whether host (lower case) names a machine of the
// user's own: loopback, private, link-local or tailnet addresses, and
// names that resolve only locally or on the tailnet.
func selfHosted(host string) bool {
	if host == "" {
		return false
	}
	if host == "localhost" || !strings.Contains(host, ".") {
		return true
	}
	for _, suffix := range []string{".localhost", ".local", ".internal", ".ts.net"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || cgnat.Contains(ip)
	}
	return false
}

// defaultAuthorization picks the header style for a provider that does not
// set "authorization": Anthropic-only providers want x-api-key, Gemini-only
// ones x-goog-api-key, everything else a bearer token.
func defaultAuthorization(compat map[API]bool) string {
	var on []API
	for api, v := range compat {
		if v {
			on = append(on, api)
		}
	}
	if len(on) == 1 {
		switch on[0] {
		case AnthropicMessages:
			return AuthXAPIKey
		case GeminiGenerateContent:
			return AuthXGoogAPIKey
		}
	}
	return AuthBearer
}

// parseProvider decodes one entry of the providers map.
func (w *walker) parseProvider(id string, v *hujson.Value, pth, baseDir string) *Provider {
	p := &Provider{ID: id}
	obj, ok := w.object(v, pth)
	if !ok {
		return nil
	}
	if strings.Contains(id, "/") || id == "" {
		w.warn(v, pth, "provider ID %q must be non-empty and must not contain '/'", id)
	}
	var apikey string
	var apikeyVal, authVal *hujson.Value
	w.members(obj, pth, map[string]fieldFunc{
		"baseurl": func(v *hujson.Value, pth string) {
			s, ok := w.str(v, pth)
			if !ok {
				return
			}
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				w.warn(v, pth, "baseurl is not an absolute http(s) URL")
				return
			}
			p.BaseURL = s
		},
		"apikey": func(v *hujson.Value, pth string) {
			if s, ok := w.str(v, pth); ok {
				apikey, apikeyVal = s, v
			}
		},
		"models": func(v *hujson.Value, pth string) {
			arr, ok := w.array(v, pth)
			if !ok {
				return
			}
			seen := map[string]bool{}
			for i := range arr.Elements {
				ev, ep := &arr.Elements[i], indexPath(pth, i)
				m, ok := w.str(ev, ep)
				switch {
				case !ok:
					continue
				case m == "":
					w.warn(ev, ep, "empty model ID")
					continue
				case seen[m]:
					w.warn(ev, ep, "duplicate model %q", m)
					continue
				}
				seen[m] = true
				p.Models = append(p.Models, m)
			}
		},
		"authorization": func(v *hujson.Value, pth string) {
			s, ok := w.str(v, pth)
			if !ok {
				return
			}
			authVal = v
			switch strings.ToLower(s) {
			case AuthBearer, AuthXAPIKey, AuthXGoogAPIKey:
				p.Authorization = strings.ToLower(s)
			default:
				w.warn(v, pth, "invalid authorization type %q (want bearer, x-api-key or x-goog-api-key)", s)
			}
		},
		"name":        func(v *hujson.Value, pth string) { p.Name, _ = w.str(v, pth) },
		"description": func(v *hujson.Value, pth string) { p.Description, _ = w.str(v, pth) },
		"compatibility": func(v *hujson.Value, pth string) {
			o, ok := w.object(v, pth)
			if !ok {
				return
			}
			p.Compatibility = map[API]bool{}
			w.eachMember(o, pth, func(name string, v *hujson.Value, pth string) {
				if !slices.Contains(KnownCompatibility, API(name)) {
					w.warn(v, pth, "unknown compatibility flag %q", name)
					return
				}
				if b, ok := w.boolean(v, pth); ok {
					p.Compatibility[API(name)] = b
				}
			})
		},
		"cost_basis": func(v *hujson.Value, pth string) {
			s, ok := w.str(v, pth)
			if !ok {
				return
			}
			if s != "" && !slices.Contains(KnownCostBases, s) {
				w.warn(v, pth, "unknown cost_basis %q", s)
			}
			p.CostBasis = s
		},
		"model_cost_map": func(v *hujson.Value, pth string) { p.ModelCostMap = w.parseCostMap(v, pth) },
		"pricing":        func(v *hujson.Value, pth string) { p.Pricing = w.parsePricing(v, pth) },
		"preference": func(v *hujson.Value, pth string) {
			if n, ok := w.integer(v, pth); ok {
				if n != int64(int32(n)) {
					w.warn(v, pth, "preference %d out of range", n)
					return
				}
				p.Preference = int(n)
			}
		},
		"disabled":    func(v *hujson.Value, pth string) { p.Disabled, _ = w.boolean(v, pth) },
		"add_headers": func(v *hujson.Value, pth string) { p.AddHeaders = w.headers(v, pth) },
		"auth_mode": func(v *hujson.Value, pth string) {
			s, ok := w.str(v, pth)
			if !ok {
				return
			}
			switch m := strings.ToLower(s); m {
			case "", AuthModeOverride, AuthModePassthrough, AuthModeNone:
				p.AuthMode = m
			default:
				w.fail(v, pth, "invalid auth_mode %q (want override, passthrough or none); it decides whose credential goes upstream, so it is not guessed", s)
			}
		},
	})
	if p.AuthMode == "" {
		p.AuthMode = AuthModeOverride
	}
	if len(p.Compatibility) == 0 {
		// Absent or empty: the documented default. Listing any flag,
		// even only false ones, replaces it.
		p.Compatibility = map[API]bool{OpenAIChat: true}
	}
	if p.Authorization == "" {
		p.Authorization = defaultAuthorization(p.Compatibility)
	}
	if p.BaseURL == "" && !hasMember(obj, "baseurl") {
		w.warn(v, pth, "provider %q has no baseurl", id)
	}
	if len(p.Models) == 0 && !hasMember(obj, "models") {
		w.warn(v, pth, "provider %q lists no models", id)
	}
	if !p.InjectsKey() {
		// Neither setting would do anything: the gateway sends the
		// caller's credential, or none. Refusing them keeps an admin
		// from believing a key is in use (and billed) when it is not.
		if apikey != "" {
			w.fail(apikeyVal, joinPath(pth, "apikey"), "apikey is not used with auth_mode %s; remove it", p.AuthMode)
		}
		if authVal != nil {
			w.fail(authVal, joinPath(pth, "authorization"), "authorization is not used with auth_mode %s (%s); remove it", p.AuthMode, authModeSends(p.AuthMode))
		}
		return p
	}
	if apikey != "" {
		key, err := resolveSecret(apikey, baseDir)
		if err != nil {
			w.warn(apikeyVal, joinPath(pth, "apikey"), "provider %q has no API key: %v", id, err)
		}
		p.APIKey = key
	}
	return p
}

// headers decodes an add_headers list, warning about malformed entries
// (which are kept out of the result).
func (w *walker) headers(v *hujson.Value, pth string) []string {
	arr, ok := w.array(v, pth)
	if !ok {
		return nil
	}
	var out []string
	for i := range arr.Elements {
		ev, ep := &arr.Elements[i], indexPath(pth, i)
		s, ok := w.str(ev, ep)
		if !ok {
			continue
		}
		if _, err := ParseHeader(s); err != nil {
			w.warn(ev, ep, "add_headers entry must be \"Header-Name: value\": %v", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// parseCostMap decodes model_cost_map.
func (w *walker) parseCostMap(v *hujson.Value, pth string) []CostMapping {
	arr, ok := w.array(v, pth)
	if !ok {
		return nil
	}
	var out []CostMapping
	for i := range arr.Elements {
		ev, ep := &arr.Elements[i], indexPath(pth, i)
		o, ok := w.object(ev, ep)
		if !ok {
			continue
		}
		m := CostMapping{Adjustment: 1}
		valid := true
		w.members(o, ep, map[string]fieldFunc{
			"match": func(v *hujson.Value, p string) {
				s, ok := w.str(v, p)
				if !ok {
					valid = false
					return
				}
				if _, err := path.Match(s, ""); err != nil {
					w.warn(v, p, "invalid glob %q: %v", s, err)
					valid = false
					return
				}
				m.Match = s
			},
			"as": func(v *hujson.Value, p string) { m.As, _ = w.str(v, p) },
			"adjustment": func(v *hujson.Value, p string) {
				s, ok := w.number(v, p)
				if !ok {
					return
				}
				f, err := strconv.ParseFloat(s, 64)
				if err != nil || f < 0 {
					w.warn(v, p, "adjustment must be a non-negative number, not %s", s)
					return
				}
				m.Adjustment = f
			},
		})
		if m.Match == "" || m.As == "" {
			if valid {
				w.warn(ev, ep, "model_cost_map entry needs both \"match\" and \"as\"")
			}
			continue
		}
		out = append(out, m)
	}
	return out
}

// parsePricing decodes a provider's pricing map: model ID → prices in USD
// per million tokens, each a JSON number or a decimal string (optionally
// with "$"), parsed exactly.
func (w *walker) parsePricing(v *hujson.Value, pth string) map[string]Price {
	obj, ok := w.object(v, pth)
	if !ok {
		return nil
	}
	out := map[string]Price{}
	w.eachMember(obj, pth, func(model string, v *hujson.Value, pth string) {
		o, ok := w.object(v, pth)
		if !ok {
			return
		}
		var pr Price
		field := func(dst *int64) fieldFunc {
			return func(v *hujson.Value, p string) {
				var n int64
				var err error
				if lit, ok := v.Value.(hujson.Literal); ok && lit.Kind() == '"' {
					n, err = ParseDollars(lit.String())
				} else if s, ok := w.number(v, p); ok {
					n, err = numberNanos(s)
				} else {
					return
				}
				if err != nil {
					w.warn(v, p, "invalid price (USD per million tokens): %v", err)
					return
				}
				*dst = n
			}
		}
		w.members(o, pth, map[string]fieldFunc{
			"input":                field(&pr.Input),
			"output":               field(&pr.Output),
			"cache_read":           field(&pr.CacheRead),
			"input_cache_read":     field(&pr.CacheRead),
			"cache_write":          field(&pr.CacheWrite),
			"input_cache_write":    field(&pr.CacheWrite),
			"cache_write_1h":       field(&pr.CacheWrite1h),
			"input_cache_write_1h": field(&pr.CacheWrite1h),
		})
		out[model] = pr
	})
	return out
}

// String describes the provider for logs without revealing its key.
func (p *Provider) String() string {
	host := ""
	if u, err := url.Parse(p.BaseURL); err == nil {
		host = u.Host
	}
	return fmt.Sprintf("provider %s (%s, %d models)", p.ID, host, len(p.Models))
}
