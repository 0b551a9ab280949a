package grants

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
)

const testConfig = `{
  "providers": {
    "anthropic": {"baseurl": "https://api.anthropic.com", "models": ["claude-sonnet-4-5", "claude-opus-4-5"]},
    "openai": {"baseurl": "https://api.openai.com", "models": ["gpt-5"]},
    "openrouter": {"baseurl": "https://openrouter.ai/api/", "models": ["deepseek/deepseek-r1"]},
  },
  "quotas": {
    "daily:<user>": {"capacity": "$10", "rate": "$5/day"},
    "opus:<user>": {"capacity": "$5", "rate": "$5/day"},
    "device:<node>": {"capacity": "$2", "rate": "$1/hour"},
    "team": {"capacity": "$500", "rate": "$500/month"},
  },
  "hooks": {"audit": {"url": "https://audit.example"}},
  "grants": [
    {"src": ["admin@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"read_metrics": true}]}},
    {"src": ["*"], "app": {
      "tailscale.com/cap/aperture": [
        {"role": "user"},
        {"models": "anthropic/**"},
        {"quotas": [{"bucket": "daily:<user>"}, {"bucket": "team"}],
         "send_hooks": [{"name": "audit", "events": ["entire_request"], "send": ["estimated_cost"]}]},
        {"models": "*/claude-opus*", "quotas": [{"bucket": "opus:<user>"}], "add_headers": ["X-Tier: opus"]},
      ],
      "example.com/cap/custom": [{"tier": "gold"}],
    }},
    {"src": ["tag:ci"], "app": {"tailscale.com/cap/aperture": [
      {"models": "openrouter/**", "quotas": [{"bucket": "device:<node>"}, {"bucket": "daily:<user>"}],
       "send_hooks": [{"name": "audit", "events": ["tool_call_entire_request"], "send": ["tools", "estimated_cost"]}]},
    ]}},
    {"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [
      {"role": "admin", "set_cors": true, "cors_paths": ["/v1/**"], "Access-Control-Allow-Origin": "http://localhost:3000"},
      {"set_cors": true, "cors_paths": ["/**"], "Access-Control-Allow-Origin": "ignored", "Access-Control-Allow-Methods": "POST"},
    ]}},
    {"src": [], "app": {"tailscale.com/cap/aperture": [{"role": "admin", "models": "**"}]}},
  ],
}`

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, diags, err := config.ParseAcceptingNotBuilt([]byte(testConfig))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, d := range diags {
		t.Logf("diagnostic: %v", d)
	}
	return cfg
}

var (
	alice = identity.Identity{LoginName: "alice@example.com", StableNodeID: "nALICE"}
	admin = identity.Identity{LoginName: "admin@example.com", StableNodeID: "nADMIN"}
	ci    = identity.Identity{Tags: []string{"tag:ci", "tag:prod"}, StableNodeID: "nCI", NodeName: "ci.tailnet.ts.net"}
	loop  = identity.LoopbackIdentity()
)

func TestRole(t *testing.T) {
	cfg := loadConfig(t)
	tests := []struct {
		name string
		id   identity.Identity
		want Role
	}{
		{"everyone is a user", alice, User},
		{"admin beats user", admin, Admin},
		{"tagged gets user via *", ci, User},
		{"loopback admin", loop, Admin},
	}
	for _, tt := range tests {
		if got := Evaluate(cfg, tt.id).Role(); got != tt.want {
			t.Errorf("%s: Role = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Deny by default: no grants, nothing.
	if got := Evaluate(nil, alice).Role(); got != None {
		t.Errorf("nil config Role = %v", got)
	}
	var nilAccess *Access
	if nilAccess.Role() != None || nilAccess.AllowsModel("a/b") || nilAccess.ReadMetrics() || len(nilAccess.ForModel("a/b").Buckets) != 0 {
		t.Error("nil Access grants something")
	}
	if Admin.String() != "admin" || User.String() != "user" || None.String() != "none" {
		t.Error("Role.String")
	}
}

func TestAllowsModel(t *testing.T) {
	cfg := loadConfig(t)
	tests := []struct {
		id   identity.Identity
		fqn  string
		want bool
	}{
		{alice, "anthropic/claude-sonnet-4-5", true},
		{alice, "openai/gpt-5", false},
		{alice, "openrouter/deepseek/deepseek-r1", false},
		{ci, "openrouter/deepseek/deepseek-r1", true},
		{ci, "anthropic/claude-opus-4-5", true},
		{ci, "openai/gpt-5", false},
		{admin, "anthropic/claude-opus-4-5", true},
		{loop, "anthropic/claude-opus-4-5", true},
	}
	for _, tt := range tests {
		if got := Evaluate(cfg, tt.id).AllowsModel(tt.fqn); got != tt.want {
			t.Errorf("%s AllowsModel(%s) = %v, want %v", tt.id.Principal(), tt.fqn, got, tt.want)
		}
	}
}

func TestModelsWithoutRoleDenied(t *testing.T) {
	cfg, _, err := config.Parse([]byte(`{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"models": "**"}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := Evaluate(cfg, alice)
	if a.Role() != None || a.AllowsModel("anthropic/claude") {
		t.Error("models granted without a role")
	}
	if got := a.ModelGlobs(); !slices.Equal(got, []string{"**"}) {
		t.Errorf("ModelGlobs = %v", got)
	}
}

func TestForModel(t *testing.T) {
	cfg := loadConfig(t)
	tests := []struct {
		name    string
		id      identity.Identity
		fqn     string
		buckets []string
		headers []string
	}{
		{"floating only", alice, "anthropic/claude-sonnet-4-5",
			[]string{"daily:alice@example.com", "team"}, nil},
		{"model-scoped adds opus bucket and header", alice, "anthropic/claude-opus-4-5",
			[]string{"daily:alice@example.com", "team", "opus:alice@example.com"}, []string{"X-Tier: opus"}},
		{"tag principal and node template, deduplicated", ci, "openrouter/deepseek/deepseek-r1",
			[]string{"daily:tag:ci,tag:prod", "team", "device:nCI"}, nil},
		{"scoped cap not matching model", ci, "anthropic/claude-sonnet-4-5",
			[]string{"daily:tag:ci,tag:prod", "team"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Evaluate(cfg, tt.id).ForModel(tt.fqn)
			if !slices.Equal(s.Buckets, tt.buckets) {
				t.Errorf("Buckets = %q, want %q", s.Buckets, tt.buckets)
			}
			if !slices.Equal(s.AddHeaders, tt.headers) {
				t.Errorf("AddHeaders = %q, want %q", s.AddHeaders, tt.headers)
			}
		})
	}
	// The same hook from two grants fires once with the union.
	s := Evaluate(cfg, ci).ForModel("openrouter/deepseek/deepseek-r1")
	if len(s.Hooks) != 1 || s.Hooks[0].Name != "audit" ||
		!slices.Equal(s.Hooks[0].Events, []string{"entire_request", "tool_call_entire_request"}) ||
		!slices.Equal(s.Hooks[0].Send, []string{"estimated_cost", "tools"}) {
		t.Errorf("Hooks = %+v", s.Hooks)
	}
}

func TestExpandBucket(t *testing.T) {
	tests := []struct {
		name string
		id   identity.Identity
		want string
	}{
		{"daily:<user>", alice, "daily:alice@example.com"},
		{"device:<node>", alice, "device:nALICE"},
		{"<user>@<node>", ci, "tag:ci,tag:prod@nCI"},
		{"device:<node>", loop, "device:(loopback)"},
		{"daily:<user>", loop, "daily:(loopback)"},
		{"team", alice, "team"},
	}
	for _, tt := range tests {
		if got := ExpandBucket(tt.name, tt.id); got != tt.want {
			t.Errorf("ExpandBucket(%q, %s) = %q, want %q", tt.name, tt.id.Principal(), got, tt.want)
		}
	}
}

func TestPolicyCapsMerge(t *testing.T) {
	cfg := loadConfig(t)
	bob := identity.Identity{
		LoginName:    "bob@example.com",
		StableNodeID: "nBOB",
		Caps: map[string][]json.RawMessage{
			identity.CapAperture: {
				json.RawMessage(`{"role": "admin"}`),
				json.RawMessage(`[{"models": "openai/*", "quotas": [{"bucket": "pol:<user>"}]}, {"read_metrics": true}]`),
				json.RawMessage(`{"role": "superuser", "bogus": 1}`),
			},
			"example.com/cap/policy": {json.RawMessage(`{"x": 1}`)},
		},
	}
	a := Evaluate(cfg, bob)
	if a.Role() != Admin {
		t.Errorf("policy admin not applied: %v", a.Role())
	}
	if !a.AllowsModel("openai/gpt-5") || !a.AllowsModel("anthropic/claude-sonnet-4-5") {
		t.Error("policy and config model grants not unioned")
	}
	if !a.ReadMetrics() {
		t.Error("policy read_metrics not applied")
	}
	if got := a.ForModel("openai/gpt-5").Buckets; !slices.Equal(got, []string{"daily:bob@example.com", "team", "pol:bob@example.com"}) {
		t.Errorf("Buckets = %q", got)
	}
	if len(a.Warnings) != 2 {
		t.Errorf("Warnings = %q, want the bad role and unknown field", a.Warnings)
	}
	custom := a.CustomCaps()
	if len(custom["example.com/cap/policy"]) != 1 || len(custom["example.com/cap/custom"]) != 1 {
		t.Errorf("CustomCaps = %v", custom)
	}
	if _, ok := custom[identity.CapAperture]; ok {
		t.Error("aperture capability leaked into CustomCaps")
	}
	// Policy caps alone, with no config at all, still work.
	if Evaluate(nil, bob).Role() != Admin {
		t.Error("policy caps ignored without config")
	}
}

func TestReadMetrics(t *testing.T) {
	cfg := loadConfig(t)
	if !Evaluate(cfg, admin).ReadMetrics() {
		t.Error("admin with read_metrics denied")
	}
	if Evaluate(cfg, alice).ReadMetrics() {
		t.Error("user without read_metrics allowed")
	}
}

func TestCORS(t *testing.T) {
	cfg := loadConfig(t)
	a := Evaluate(cfg, loop)
	tests := []struct {
		path                  string
		origin, methods, hdrs string
		ok                    bool
	}{
		{"/v1/chat/completions", "http://localhost:3000", "POST", "", true},
		{"/ui/", "ignored", "POST", "", true},
	}
	for _, tt := range tests {
		o, m, h, ok := a.CORS(tt.path)
		if o != tt.origin || m != tt.methods || h != tt.hdrs || ok != tt.ok {
			t.Errorf("CORS(%s) = %q %q %q %v, want %q %q %q %v", tt.path, o, m, h, ok, tt.origin, tt.methods, tt.hdrs, tt.ok)
		}
	}
	if _, _, _, ok := Evaluate(cfg, alice).CORS("/v1/messages"); ok {
		t.Error("CORS enabled for a caller without set_cors")
	}
	onlyV1, _, _ := config.Parse([]byte(`{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [
		{"set_cors": true, "cors_paths": ["/v1/*"], "Access-Control-Allow-Origin": "*"},
		{"set_cors": false, "cors_paths": ["/**"], "Access-Control-Allow-Origin": "x"}]}}]}`))
	b := Evaluate(onlyV1, alice)
	if o, _, _, ok := b.CORS("/v1/messages"); !ok || o != "*" {
		t.Errorf("CORS(/v1/messages) = %q %v", o, ok)
	}
	if _, _, _, ok := b.CORS("/v1/chat/completions"); ok {
		t.Error("cors_paths /v1/* matched two segments")
	}
	if _, _, _, ok := b.CORS("/metrics"); ok {
		t.Error("set_cors false enabled CORS")
	}
}

func TestChatUI(t *testing.T) {
	cfg, _, _ := config.Parse([]byte(`{"grants": [
		{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}]}},
		{"src": ["tag:ci"], "app": {"tailscale.com/cap/aperture": [{"enable_chat_ui": false}]}}]}`))
	if !Evaluate(cfg, alice).ChatUI() {
		t.Error("chat UI off by default")
	}
	if Evaluate(cfg, ci).ChatUI() {
		t.Error("enable_chat_ui: false ignored")
	}
	if Evaluate(nil, alice).ChatUI() {
		t.Error("chat UI without a role")
	}
}

func TestTempGrantsHonoured(t *testing.T) {
	cfg, _, err := config.Parse([]byte(`{"temp_grants": [{"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin", "models": "**"}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := Evaluate(cfg, alice)
	if a.Role() != Admin || !a.AllowsModel("x/y") {
		t.Error("temp_grants ignored")
	}
	if Evaluate(cfg, admin).Role() != None {
		t.Error("temp_grant applied to the wrong user")
	}
}

func TestForModelBucketDefs(t *testing.T) {
	cfg := loadConfig(t)
	tests := []struct {
		name    string
		id      identity.Identity
		fqn     string
		buckets []string
		defs    []string
	}{
		{"user template", alice, "anthropic/claude-opus-4-5",
			[]string{"daily:alice@example.com", "team", "opus:alice@example.com"},
			[]string{"daily:<user>", "team", "opus:<user>"}},
		{"node template and dedup keeps first definition", ci, "openrouter/deepseek/deepseek-r1",
			[]string{"daily:tag:ci,tag:prod", "team", "device:nCI"},
			[]string{"daily:<user>", "team", "device:<node>"}},
		{"floating buckets apply to any model", alice, "openai/gpt-5",
			[]string{"daily:alice@example.com", "team"},
			[]string{"daily:<user>", "team"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Evaluate(cfg, tt.id).ForModel(tt.fqn)
			if !slices.Equal(s.Buckets, tt.buckets) {
				t.Errorf("Buckets = %q, want %q", s.Buckets, tt.buckets)
			}
			if !slices.Equal(s.BucketDefs, tt.defs) {
				t.Errorf("BucketDefs = %q, want %q", s.BucketDefs, tt.defs)
			}
			for i, b := range s.Buckets {
				if got := ExpandBucket(s.BucketDefs[i], tt.id); got != b {
					t.Errorf("BucketDefs[%d] %q expands to %q, not %q", i, s.BucketDefs[i], got, b)
				}
			}
		})
	}
}
