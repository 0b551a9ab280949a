package config

import (
	"strings"
	"testing"
)

func parseProviders(t *testing.T, src string) (*Config, []Diagnostic) {
	t.Helper()
	cfg, diags, err := Parse([]byte(`{"providers": ` + src + `}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg, diags
}

func TestProviderDefaults(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		auth   string
		compat map[API]bool
	}{
		{"no compatibility", `{}`, AuthBearer, map[API]bool{OpenAIChat: true}},
		{"empty compatibility", `{"compatibility": {}}`, AuthBearer, map[API]bool{OpenAIChat: true}},
		{"only false flags", `{"compatibility": {"openai_responses": false}}`, AuthBearer, map[API]bool{OpenAIResponses: false}},
		{"anthropic only", `{"compatibility": {"anthropic_messages": true}}`, AuthXAPIKey, map[API]bool{AnthropicMessages: true}},
		{"anthropic with explicit false", `{"compatibility": {"openai_chat": false, "anthropic_messages": true}}`, AuthXAPIKey, map[API]bool{OpenAIChat: false, AnthropicMessages: true}},
		{"gemini only", `{"compatibility": {"gemini_generate_content": true}}`, AuthXGoogAPIKey, map[API]bool{GeminiGenerateContent: true}},
		{"openai both", `{"compatibility": {"openai_chat": true, "openai_responses": true}}`, AuthBearer, map[API]bool{OpenAIChat: true, OpenAIResponses: true}},
		{"anthropic plus chat", `{"compatibility": {"openai_chat": true, "anthropic_messages": true}}`, AuthBearer, map[API]bool{OpenAIChat: true, AnthropicMessages: true}},
		{"explicit wins", `{"authorization": "bearer", "compatibility": {"anthropic_messages": true}}`, AuthBearer, map[API]bool{AnthropicMessages: true}},
		{"case-insensitive", `{"authorization": "X-API-KEY"}`, AuthXAPIKey, map[API]bool{OpenAIChat: true}},
		{"invalid falls back", `{"authorization": "basic", "compatibility": {"gemini_generate_content": true}}`, AuthXGoogAPIKey, map[API]bool{GeminiGenerateContent: true}},
		{"vertex flag accepted", `{"compatibility": {"google_generate_content": true}}`, AuthBearer, map[API]bool{"google_generate_content": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := parseProviders(t, `{"p": `+tt.body+`}`)
			p := cfg.Providers["p"]
			if p.Authorization != tt.auth {
				t.Errorf("Authorization = %q, want %q", p.Authorization, tt.auth)
			}
			if len(p.Compatibility) != len(tt.compat) {
				t.Errorf("Compatibility = %v, want %v", p.Compatibility, tt.compat)
			}
			for k, v := range tt.compat {
				if p.Compatibility[k] != v {
					t.Errorf("Compatibility[%s] = %v, want %v", k, p.Compatibility[k], v)
				}
			}
		})
	}
}

func TestProviderFields(t *testing.T) {
	acceptNotBuilt(t) // parses fields that are refused until built
	cfg, diags := parseProviders(t, `{"or": {
		"baseurl": "https://openrouter.ai/api/",
		"name": "OpenRouter",
		"description": "many models",
		"models": ["deepseek/deepseek-r1", "qwen/qwen3", "qwen/qwen3", ""],
		"preference": 5,
		"disabled": true,
		"add_headers": ["HTTP-Referer: https://example.com", "X-Title: gw"],
		"cost_basis": "openrouter",
		"auth_mode": "passthrough",
		"model_cost_map": [
			{"match": "deepseek/*", "as": "deepseek-r1", "adjustment": 1.1},
			{"match": "qwen*", "as": "qwen3"},
			{"match": "[", "as": "x"},
			{"as": "y"},
		],
		"pricing": {
			"deepseek/deepseek-r1": {"input": 0.55, "output": "2.19", "cache_read": "$0.14", "input_cache_write": 1, "cache_write_1h": 0.000000001},
			"qwen/qwen3": {"input": 1e-3, "output": 1e-12},
		},
	}}`)
	p := cfg.Providers["or"]
	if p.ID != "or" || p.Name != "OpenRouter" || p.Description != "many models" || p.Preference != 5 || !p.Disabled {
		t.Errorf("provider = %+v", p)
	}
	if len(p.Models) != 2 || p.Models[0] != "deepseek/deepseek-r1" || p.Models[1] != "qwen/qwen3" {
		t.Errorf("Models = %q, want duplicates and empties dropped", p.Models)
	}
	if !hasDiagMsg(diags, "providers.or.models[2]", "duplicate") || !hasDiagMsg(diags, "providers.or.models[3]", "empty") {
		t.Errorf("missing model warnings: %v", diags)
	}
	if len(p.Headers()) != 2 || p.Headers()[1].Name != "X-Title" {
		t.Errorf("Headers = %+v", p.Headers())
	}
	if p.CostBasis != "openrouter" || p.AuthMode != "passthrough" {
		t.Errorf("cost_basis/auth_mode = %q/%q", p.CostBasis, p.AuthMode)
	}
	if len(p.ModelCostMap) != 2 || p.ModelCostMap[0].Adjustment != 1.1 || p.ModelCostMap[1].Adjustment != 1 || p.ModelCostMap[1].As != "qwen3" {
		t.Errorf("ModelCostMap = %+v", p.ModelCostMap)
	}
	if !hasDiagMsg(diags, "providers.or.model_cost_map[2].match", "invalid glob") || !hasDiagMsg(diags, "providers.or.model_cost_map[3]", "needs both") {
		t.Errorf("missing cost map warnings: %v", diags)
	}
	want := Price{Input: 550_000_000, Output: 2_190_000_000, CacheRead: 140_000_000, CacheWrite: 1_000_000_000, CacheWrite1h: 1}
	if got := p.Pricing["deepseek/deepseek-r1"]; got != want {
		t.Errorf("Pricing = %+v, want %+v (exact, no float rounding)", got, want)
	}
	if got := p.Pricing["qwen/qwen3"].Input; got != 1_000_000 {
		t.Errorf("exponent price 1e-3 = %d, want 1000000", got)
	}
	if !hasDiagMsg(diags, `providers.or.pricing["qwen/qwen3"].output`, "invalid price") {
		t.Errorf("sub-nanodollar price not rejected: %v", diags)
	}
}

func TestProviderWarnings(t *testing.T) {
	tests := []struct {
		name, body, path, msg string
	}{
		{"no baseurl", `{"models": ["m"]}`, "providers.p", "no baseurl"},
		{"no models", `{"baseurl": "https://x"}`, "providers.p", "no models"},
		{"bad baseurl", `{"baseurl": "api.openai.com", "models": ["m"]}`, "providers.p.baseurl", "absolute http(s) URL"},
		{"unknown flag", `{"baseurl": "https://x", "models": ["m"], "compatibility": {"openai_chatt": true}}`, "providers.p.compatibility.openai_chatt", "unknown compatibility flag"},
		{"flag not bool", `{"baseurl": "https://x", "models": ["m"], "compatibility": {"openai_chat": "yes"}}`, "providers.p.compatibility.openai_chat", "must be a boolean"},
		{"cost basis", `{"baseurl": "https://x", "models": ["m"], "cost_basis": "acme"}`, "providers.p.cost_basis", "unknown cost_basis"},
		{"preference float", `{"baseurl": "https://x", "models": ["m"], "preference": 1.5}`, "providers.p.preference", "integer"},
		{"not object", `"https://x"`, "providers.p", "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := parseProviders(t, `{"p": `+tt.body+`}`)
			if !hasDiagMsg(diags, tt.path, tt.msg) {
				t.Errorf("want warning %q at %s; got %v", tt.msg, tt.path, diags)
			}
		})
	}
	// An unknown auth_mode is an error: guessing would pick whose
	// credential goes upstream.
	if _, diags, err := Parse([]byte(`{"providers": {"p": {"baseurl": "https://x", "models": ["m"], "auth_mode": "steal"}}}`)); err == nil || !hasDiagMsg(diags, "providers.p.auth_mode", "invalid auth_mode") {
		t.Errorf("unknown auth_mode: %v %v, want an error", err, diags)
	}
	_, diags := parseProviders(t, `{"a/b": {"baseurl": "https://x", "models": ["m"]}}`)
	if !hasDiagMsg(diags, `providers["a/b"]`, "must not contain '/'") {
		t.Errorf("slash in provider ID not flagged: %v", diags)
	}
}

func TestEffectiveCostBasis(t *testing.T) {
	tests := []struct {
		name   string
		p      Provider
		auto   bool
		expect string
	}{
		{"explicit", Provider{CostBasis: "bedrock-us", BaseURL: "https://api.openai.com"}, false, "bedrock-us"},
		{"explicit none", Provider{CostBasis: "none", BaseURL: "https://api.openai.com"}, true, ""},
		{"auto off", Provider{BaseURL: "https://api.openai.com"}, false, ""},
		{"openai", Provider{BaseURL: "https://api.openai.com/"}, true, "openai"},
		{"anthropic", Provider{BaseURL: "https://api.anthropic.com"}, true, "anthropic"},
		{"gemini", Provider{BaseURL: "https://generativelanguage.googleapis.com"}, true, "google"},
		{"openrouter", Provider{BaseURL: "https://openrouter.ai/api/"}, true, "openrouter"},
		{"bedrock never inferred", Provider{BaseURL: "https://bedrock-runtime.us-east-1.amazonaws.com"}, true, ""},
		{"anthropic-compatible elsewhere", Provider{BaseURL: "https://api.z.ai/api/anthropic", Compatibility: map[API]bool{AnthropicMessages: true}}, true, "anthropic"},
		{"self-hosted", Provider{BaseURL: "http://llama:8080/v1", Compatibility: map[API]bool{OpenAIChat: true}}, true, ""},
		{"host case and trailing dot", Provider{BaseURL: "https://API.OpenAI.com./v1"}, true, "openai"},
		{"azure", Provider{BaseURL: "https://res.services.ai.azure.com/api/projects/p/openai/"}, true, "azure"},
		{"vertex", Provider{BaseURL: "https://us-central1-aiplatform.googleapis.com"}, true, "vertex"},
		{"gemini-compatible elsewhere", Provider{BaseURL: "https://gemini-proxy.example.com", Compatibility: map[API]bool{GeminiGenerateContent: true}}, true, "google"},
		{"openai-compatible elsewhere is not openai", Provider{BaseURL: "https://llm.example.com/v1", Compatibility: map[API]bool{OpenAIChat: true}}, true, ""},
		{"self-hosted anthropic-compatible, loopback", Provider{BaseURL: "http://127.0.0.1:4000", Compatibility: map[API]bool{AnthropicMessages: true}}, true, ""},
		{"self-hosted anthropic-compatible, localhost", Provider{BaseURL: "http://localhost:4000", Compatibility: map[API]bool{AnthropicMessages: true}}, true, ""},
		{"self-hosted anthropic-compatible, private IP", Provider{BaseURL: "http://10.0.0.5:8000", Compatibility: map[API]bool{AnthropicMessages: true}}, true, ""},
		{"self-hosted anthropic-compatible, tailnet IP", Provider{BaseURL: "http://100.101.102.103:8000", Compatibility: map[API]bool{AnthropicMessages: true}}, true, ""},
		{"self-hosted anthropic-compatible, MagicDNS", Provider{BaseURL: "http://gpu-box.tail1234.ts.net", Compatibility: map[API]bool{AnthropicMessages: true}}, true, ""},
		{"self-hosted anthropic-compatible, .internal", Provider{BaseURL: "http://llm.corp.internal", Compatibility: map[API]bool{AnthropicMessages: true}}, true, ""},
		{"no flags", Provider{BaseURL: "https://llm.example.com"}, true, ""},
		{"explicit wins over self-hosted", Provider{CostBasis: "anthropic", BaseURL: "http://127.0.0.1:4000"}, true, "anthropic"},
	}
	for _, tt := range tests {
		if got := tt.p.EffectiveCostBasis(tt.auto); got != tt.expect {
			t.Errorf("%s: EffectiveCostBasis = %q, want %q", tt.name, got, tt.expect)
		}
	}
}

func TestProviderString(t *testing.T) {
	p := &Provider{ID: "x", BaseURL: "https://user:pw@api.example.com/v1", APIKey: "sk-secret", Models: []string{"a"}}
	if got := p.String(); got != "provider x (api.example.com, 1 models)" {
		t.Errorf("String = %q", got)
	}
	if strings.Contains(p.String(), "sk-secret") || strings.Contains(p.String(), "pw") {
		t.Errorf("String leaks credentials: %q", p.String())
	}
}
