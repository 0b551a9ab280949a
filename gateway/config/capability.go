package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// Roles a capability can grant.
const (
	RoleAdmin = "admin"
	RoleUser  = "user"
)

// Hook events and send fields a send_hooks entry may name.
var (
	HookEvents = []string{"pre_request", "entire_request", "tool_call_entire_request"}
	HookSends  = []string{
		"request_body", "user_message", "response_body", "raw_responses",
		"tools", "estimated_cost", "grants", "quotas",
	}
)

// Capability is one object of a grant's "tailscale.com/cap/aperture"
// list, from the config or from the tailnet policy (via WhoIs). All fields
// are optional and combine: a capability with Models applies only to those
// models; one without is "floating" and applies to every request.
type Capability struct {
	Role         string   // RoleAdmin, RoleUser or ""
	Models       []string // provider/model globs; empty = floating
	Quotas       []QuotaRef
	SendHooks    []HookRef
	AddHeaders   []string // "Name: value"
	ReadMetrics  bool
	EnableChatUI *bool // nil = not said
	SetCORS      bool
	CORSPaths    []string // URL path globs
	AllowOrigin  string   // Access-Control-Allow-Origin
	AllowMethods string   // Access-Control-Allow-Methods
	AllowHeaders string   // Access-Control-Allow-Headers
	MCPTools     []string
	MCPResources []string
	MCPTemplates []string
	Connectors   []string
}

// QuotaRef names a quota bucket (possibly a <user>/<node> template) to
// charge when the capability applies.
type QuotaRef struct {
	Bucket string `json:"bucket"`
}

// HookRef wires the hook Name to the listed events, sending the listed
// optional payload fields.
type HookRef struct {
	Name   string   `json:"name"`
	Events []string `json:"events"`
	Send   []string `json:"send"`
}

// Floating reports whether the capability applies regardless of model.
func (c *Capability) Floating() bool { return len(c.Models) == 0 }

// capWarning is a problem with one field (empty for the whole object).
type capWarning struct {
	field, msg string
}

// ParseCapability decodes one capability object leniently: unknown fields
// and wrongly typed values are skipped and reported as warnings rather
// than failing, because a policy-file capability the gateway half
// understands should still grant what it can. "models" may be one glob
// string or an array of them; mcp_* fields likewise.
func ParseCapability(raw json.RawMessage) (Capability, []string) {
	c, ws := parseCapability(raw)
	out := make([]string, len(ws))
	for i, w := range ws {
		if w.field == "" {
			out[i] = w.msg
		} else {
			out[i] = w.field + ": " + w.msg
		}
	}
	return c, out
}

func parseCapability(raw json.RawMessage) (Capability, []capWarning) {
	var c Capability
	var ws []capWarning
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return c, []capWarning{{"", "capability must be a JSON object"}}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	warn := func(field, format string, args ...any) {
		ws = append(ws, capWarning{field, fmt.Sprintf(format, args...)})
	}
	decode := func(k string, dst any, want string) bool {
		if err := json.Unmarshal(fields[k], dst); err != nil {
			warn(k, "must be %s", want)
			return false
		}
		return true
	}
	strOrList := func(k string) []string {
		var s string
		if json.Unmarshal(fields[k], &s) == nil {
			if s == "" {
				return nil
			}
			return []string{s}
		}
		var l []string
		if json.Unmarshal(fields[k], &l) == nil {
			return slices.DeleteFunc(l, func(s string) bool { return s == "" })
		}
		warn(k, "must be a string or an array of strings")
		return nil
	}
	for _, k := range keys {
		switch k {
		case "role":
			var s string
			if decode(k, &s, "a string") {
				if s == RoleAdmin || s == RoleUser {
					c.Role = s
				} else {
					warn(k, "invalid role %q (want \"admin\" or \"user\")", s)
				}
			}
		case "models":
			c.Models = strOrList(k)
		case "quotas":
			var qs []QuotaRef
			if decode(k, &qs, `an array of {"bucket": "<name>"}`) {
				for _, q := range qs {
					if err := ValidateBucketName(q.Bucket); err != nil {
						warn(k, "%v", err)
						continue
					}
					c.Quotas = append(c.Quotas, q)
				}
			}
		case "send_hooks":
			var hs []HookRef
			if decode(k, &hs, `an array of {"name", "events", "send"}`) {
				for _, h := range hs {
					if h.Name == "" {
						warn(k, "send_hooks entry has no name")
						continue
					}
					for _, e := range h.Events {
						if !slices.Contains(HookEvents, e) {
							warn(k, "hook %q: unknown event %q", h.Name, e)
						}
					}
					for _, s := range h.Send {
						if !slices.Contains(HookSends, s) {
							warn(k, "hook %q: unknown send field %q", h.Name, s)
						}
					}
					c.SendHooks = append(c.SendHooks, h)
				}
			}
		case "add_headers":
			var hs []string
			if decode(k, &hs, "an array of \"Header-Name: value\" strings") {
				for _, h := range hs {
					if _, err := ParseHeader(h); err != nil {
						warn(k, "%v", err)
						continue
					}
					c.AddHeaders = append(c.AddHeaders, h)
				}
			}
		case "read_metrics":
			decode(k, &c.ReadMetrics, "a boolean")
		case "enable_chat_ui":
			var b bool
			if decode(k, &b, "a boolean") {
				c.EnableChatUI = &b
			}
		case "set_cors":
			decode(k, &c.SetCORS, "a boolean")
		case "cors_paths":
			c.CORSPaths = strOrList(k)
		case "Access-Control-Allow-Origin":
			decode(k, &c.AllowOrigin, "a string")
		case "Access-Control-Allow-Methods":
			decode(k, &c.AllowMethods, "a string")
		case "Access-Control-Allow-Headers":
			decode(k, &c.AllowHeaders, "a string")
		case "mcp_tools":
			c.MCPTools = strOrList(k)
		case "mcp_resources":
			c.MCPResources = strOrList(k)
		case "mcp_templates":
			c.MCPTemplates = strOrList(k)
		case "connectors":
			c.Connectors = strOrList(k)
		default:
			warn(k, "unknown field")
		}
	}
	return c, ws
}
