package config

import (
	"slices"
	"strings"
	"testing"
)

func TestParseCapabilityFields(t *testing.T) {
	c, ws := ParseCapability([]byte(`{
		"role": "admin",
		"models": "anthropic/**",
		"quotas": [{"bucket": "daily:<user>"}, {"bucket": "team"}],
		"send_hooks": [{"name": "audit", "events": ["entire_request"], "send": ["estimated_cost", "tools"]}],
		"add_headers": ["X-Project: foo"],
		"read_metrics": true,
		"enable_chat_ui": false,
		"set_cors": true,
		"cors_paths": ["/v1/**"],
		"Access-Control-Allow-Origin": "https://app.example.com",
		"Access-Control-Allow-Methods": "POST, GET",
		"Access-Control-Allow-Headers": "Content-Type",
		"mcp_tools": "github/*",
		"mcp_resources": ["a/b"],
		"mcp_templates": "",
		"connectors": ["label:x"]
	}`))
	if len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	if c.Role != RoleAdmin || !slices.Equal(c.Models, []string{"anthropic/**"}) || c.Floating() {
		t.Errorf("role/models = %q %v", c.Role, c.Models)
	}
	if len(c.Quotas) != 2 || c.Quotas[0].Bucket != "daily:<user>" {
		t.Errorf("Quotas = %+v", c.Quotas)
	}
	if len(c.SendHooks) != 1 || c.SendHooks[0].Name != "audit" || !slices.Equal(c.SendHooks[0].Send, []string{"estimated_cost", "tools"}) {
		t.Errorf("SendHooks = %+v", c.SendHooks)
	}
	if !c.ReadMetrics || c.EnableChatUI == nil || *c.EnableChatUI || !c.SetCORS {
		t.Errorf("bools wrong: %+v", c)
	}
	if c.AllowOrigin != "https://app.example.com" || c.AllowMethods != "POST, GET" || c.AllowHeaders != "Content-Type" || !slices.Equal(c.CORSPaths, []string{"/v1/**"}) {
		t.Errorf("CORS = %+v", c)
	}
	if !slices.Equal(c.MCPTools, []string{"github/*"}) || !slices.Equal(c.MCPResources, []string{"a/b"}) || c.MCPTemplates != nil || !slices.Equal(c.Connectors, []string{"label:x"}) {
		t.Errorf("mcp = %v %v %v %v", c.MCPTools, c.MCPResources, c.MCPTemplates, c.Connectors)
	}
}

func TestParseCapabilityWarnings(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		want  string // substring of one warning; "" = no warnings
		check func(Capability) bool
	}{
		{"models array", `{"models": ["a/*", "b/**"]}`, "", func(c Capability) bool { return len(c.Models) == 2 }},
		{"floating", `{"role": "user"}`, "", func(c Capability) bool { return c.Floating() && c.Role == RoleUser }},
		{"unknown field", `{"role": "user", "colour": "blue"}`, `colour: unknown field`, func(c Capability) bool { return c.Role == RoleUser }},
		{"bad role", `{"role": "owner"}`, `invalid role "owner"`, func(c Capability) bool { return c.Role == "" }},
		{"role wrong type", `{"role": true}`, "role: must be a string", nil},
		{"models wrong type", `{"models": 7}`, "models: must be a string or an array", func(c Capability) bool { return c.Models == nil }},
		{"quota template", `{"quotas": [{"bucket": "x:<team>"}]}`, "unsupported template", func(c Capability) bool { return len(c.Quotas) == 0 }},
		{"quotas shape", `{"quotas": "daily"}`, "quotas: must be", nil},
		{"hook event", `{"send_hooks": [{"name": "h", "events": ["after"], "send": []}]}`, `unknown event "after"`, func(c Capability) bool { return len(c.SendHooks) == 1 }},
		{"hook send", `{"send_hooks": [{"name": "h", "events": [], "send": ["everything"]}]}`, `unknown send field`, nil},
		{"hook no name", `{"send_hooks": [{"events": []}]}`, "no name", func(c Capability) bool { return len(c.SendHooks) == 0 }},
		{"bad header", `{"add_headers": ["nope"]}`, "add_headers", func(c Capability) bool { return len(c.AddHeaders) == 0 }},
		{"not object", `["role"]`, "must be a JSON object", nil},
		{"null", `null`, "must be a JSON object", nil},
		{"garbage", `{`, "must be a JSON object", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ws := ParseCapability([]byte(tt.raw))
			if tt.want == "" && len(ws) > 0 {
				t.Errorf("unexpected warnings %v", ws)
			}
			if tt.want != "" && !slices.ContainsFunc(ws, func(w string) bool { return strings.Contains(w, tt.want) }) {
				t.Errorf("warnings %v lack %q", ws, tt.want)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("capability = %+v", c)
			}
		})
	}
}
