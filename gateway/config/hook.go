package config

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/tailscale/hujson"
)

// Hook is one entry of the top-level "hooks" map: an HTTP endpoint that
// grants wire to request events via send_hooks. Raw keeps the original
// object (as JSON) for code that needs fields this struct does not model.
type Hook struct {
	Name          string
	URL           string
	APIKey        string        // resolved like provider keys
	Authorization string        // bearer (default), x-api-key or x-goog-api-key
	Timeout       time.Duration // 0 = no timeout; default 5s
	Disabled      bool
	FailPolicy    string // "fail_open" (default) or "fail_closed"
	Preference    int
	Raw           json.RawMessage
}

// DefaultHookTimeout applies when a hook does not set "timeout".
const DefaultHookTimeout = 5 * time.Second

// parseHooks decodes the "hooks" map.
func (w *walker) parseHooks(v *hujson.Value, pth, baseDir string) map[string]*Hook {
	obj, ok := w.object(v, pth)
	if !ok {
		return nil
	}
	out := map[string]*Hook{}
	w.eachMember(obj, pth, func(name string, v *hujson.Value, pth string) {
		o, ok := w.object(v, pth)
		if !ok {
			return
		}
		h := &Hook{Name: name, Authorization: AuthBearer, Timeout: DefaultHookTimeout, FailPolicy: "fail_open", Raw: toJSON(v)}
		var keyVal *hujson.Value
		var key string
		w.members(o, pth, map[string]fieldFunc{
			"url": func(v *hujson.Value, p string) {
				s, ok := w.str(v, p)
				if !ok {
					return
				}
				u, err := url.Parse(s)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					w.fail(v, p, "hook url must be an absolute http or https URL")
					return
				}
				h.URL = s
			},
			"apikey": func(v *hujson.Value, p string) { key, _ = w.str(v, p); keyVal = v },
			"authorization": func(v *hujson.Value, p string) {
				s, ok := w.str(v, p)
				if !ok {
					return
				}
				switch strings.ToLower(s) {
				case AuthBearer, AuthXAPIKey, AuthXGoogAPIKey:
					h.Authorization = strings.ToLower(s)
				default:
					w.fail(v, p, "invalid authorization type %q (want bearer, x-api-key or x-goog-api-key)", s)
				}
			},
			"timeout": func(v *hujson.Value, p string) {
				s, ok := w.str(v, p)
				if !ok {
					return
				}
				if s == "0" {
					h.Timeout = 0
					return
				}
				d, err := time.ParseDuration(s)
				if err != nil || d < 0 {
					w.fail(v, p, "invalid timeout %q (want a Go duration such as \"2s\")", s)
					return
				}
				h.Timeout = d
			},
			"disabled": func(v *hujson.Value, p string) { h.Disabled, _ = w.boolean(v, p) },
			"fail_policy": func(v *hujson.Value, p string) {
				s, ok := w.str(v, p)
				if !ok {
					return
				}
				if s != "fail_open" && s != "fail_closed" {
					w.fail(v, p, "invalid fail_policy %q (want fail_open or fail_closed)", s)
					return
				}
				h.FailPolicy = s
			},
			"preference": func(v *hujson.Value, p string) {
				if n, ok := w.integer(v, p); ok && n == int64(int32(n)) {
					h.Preference = int(n)
				}
			},
		})
		if h.URL == "" && !hasMember(o, "url") {
			w.fail(v, pth, "hook %q has no url", name)
		}
		if key != "" {
			k, err := resolveSecret(key, baseDir)
			if err != nil {
				w.warn(keyVal, joinPath(pth, "apikey"), "hook %q has no API key: %v", name, err)
			}
			h.APIKey = k
		}
		out[name] = h
	})
	return out
}
