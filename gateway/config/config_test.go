package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedExample is the example from the "Get started with Aperture" page,
// verbatim, including its trailing commas.
const seedExample = `{
"providers": {
"anthropic": {
"baseurl": "https://api.anthropic.com",
"apikey": "YOUR_ANTHROPIC_API_KEY",
"models": [
"claude-sonnet-4-5",
"claude-opus-4-5",
],
"authorization": "x-api-key",
"compatibility": {
"anthropic_messages": true,
}
}
}
}`

func TestParseSeedExample(t *testing.T) {
	cfg, diags, err := Parse([]byte(seedExample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, d := range diags {
		if d.Severity == Error {
			t.Errorf("unexpected error diagnostic: %v", d)
		}
		if strings.HasPrefix(d.Path, "providers.") {
			t.Errorf("unexpected provider warning: %v", d)
		}
	}
	p := cfg.Providers["anthropic"]
	if p == nil {
		t.Fatal("anthropic provider missing")
	}
	if p.APIKey != "YOUR_ANTHROPIC_API_KEY" || p.BaseURL != "https://api.anthropic.com" || p.Authorization != AuthXAPIKey {
		t.Errorf("provider = %+v", p)
	}
	if strings.Join(p.Models, ",") != "claude-sonnet-4-5,claude-opus-4-5" {
		t.Errorf("models = %v", p.Models)
	}
	if !p.Serves(AnthropicMessages) || p.Serves(OpenAIChat) {
		t.Errorf("compatibility = %v; listing a flag must turn off the openai_chat default", p.Compatibility)
	}
	if cfg.ReserveOutputTokens != DefaultReserveOutputTokens || !cfg.AutoCostBasis {
		t.Errorf("defaults: reserve=%d auto=%v", cfg.ReserveOutputTokens, cfg.AutoCostBasis)
	}
	if !hasDiagMsg(diags, "grants", "all access will be denied") {
		t.Errorf("missing no-grants warning: %v", diags)
	}
	if cfg.Hash != Hash([]byte(seedExample)) {
		t.Error("Config.Hash does not match Hash(src)")
	}
}

// TestWarningLines checks that each warning points at the line of the
// offending key or value.
func TestWarningLines(t *testing.T) {
	tests := []struct {
		name string
		src  string
		path string
		line int
		msg  string
	}{
		{
			name: "unknown top-level key",
			src:  "{\n  // comment\n  \"providerz\": {},\n}",
			path: "providerz", line: 3, msg: `did you mean "providers"`,
		},
		{
			name: "provider typo",
			src: `{
  "providers": {
    "x": {
      "basurl": "https://x",
      "models": ["m"],
    },
  },
}`,
			path: "providers.x.basurl", line: 4, msg: `did you mean "baseurl"`,
		},
		{
			name: "invalid authorization",
			src: `{"providers": {
  "anthropic": {
    "baseurl": "https://api.anthropic.com",
    "models": ["m"],
    /* block
       comment */
    "authorization": "token",
  }}}`,
			path: "providers.anthropic.authorization", line: 7, msg: "invalid authorization type",
		},
		{
			name: "type mismatch",
			src:  "{\n\"providers\": {\"p\": {\"baseurl\": \"https://p\",\n\"models\": \"m\"}}}",
			path: "providers.p.models", line: 3, msg: "must be an array",
		},
		{
			name: "duplicate key",
			src:  "{\"auto_cost_basis\": true,\n\n\"auto_cost_basis\": false}",
			path: "auto_cost_basis", line: 3, msg: "duplicate key",
		},
		{
			name: "bad add_headers entry",
			src:  "{\"providers\": {\"p\": {\"baseurl\": \"https://p\", \"models\": [\"m\"],\n\"add_headers\": [\n\"X-Ok: 1\",\n\"no colon here\"]}}}",
			path: "providers.p.add_headers[1]", line: 4, msg: "Header-Name: value",
		},
		{
			name: "dst in config grant",
			src:  "{\"grants\": [{\n\"src\": [\"*\"],\n\"dst\": [\"tag:ai\"],\n\"app\": {}}]}",
			path: "grants[0].dst", line: 3, msg: "tailnet policy file",
		},
		{
			name: "unknown capability field",
			src: `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [
  {"role": "admin"},
  {
    "models": "**",
    "modles": "x",
  },
]}}]}`,
			path: `grants[0].app["tailscale.com/cap/aperture"][1].modles`, line: 5, msg: "unknown field",
		},
		{
			name: "bad quota value",
			src:  "{\"quotas\": {\"d\": {\n\"capacity\": \"$1\",\n\"rate\": \"$1/fortnight\"}}}",
			path: "quotas.d.rate", line: 3, msg: "unknown unit",
		},
		{
			name: "undefined quota reference",
			src:  "{\"quotas\": {},\n\"grants\": [{\"src\": [\"*\"], \"app\": {\"tailscale.com/cap/aperture\": [\n{\"role\": \"admin\",\n\"quotas\": [{\"bucket\": \"nope\"}]}]}}]}",
			path: `grants[0].app["tailscale.com/cap/aperture"][0].quotas`, line: 4, msg: `quota "nope" is not defined`,
		},
		{
			name: "reserve_output_tokens not integer",
			src:  "{\n\"reserve_output_tokens\": 1.5}",
			path: "reserve_output_tokens", line: 2, msg: "must be an integer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, err := Parse([]byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			d, ok := diagAt(diags, tt.path)
			if !ok {
				t.Fatalf("no diagnostic at %s; got %v", tt.path, diags)
			}
			if d.Severity != Warning {
				t.Errorf("severity = %v, want warning", d.Severity)
			}
			if d.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", d.Line, tt.line, d)
			}
			if !strings.Contains(d.Message, tt.msg) {
				t.Errorf("message %q does not mention %q", d.Message, tt.msg)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
	}{
		{"empty", "", 1},
		{"syntax", "{\n\"providers\": {\n\"x\": [}\n}", 3},
		{"unterminated", "{\n\"a\": \"b", 2},
		{"not an object", "[1, 2]", 1},
		{"providers not object", "{\n\"providers\": []}", 2},
		{"grants not array", "{\"providers\": {},\n\n\"grants\": {}}", 3},
		{"temp_grants not array", "{\"temp_grants\": \"x\"}", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags, err := Parse([]byte(tt.src))
			if err == nil || cfg != nil {
				t.Fatalf("Parse = %v, %v; want error", cfg, err)
			}
			if !HasErrors(diags) {
				t.Fatalf("no error diagnostic: %v", diags)
			}
			var d Diagnostic
			for _, x := range diags {
				if x.Severity == Error {
					d = x
					break
				}
			}
			if d.Line != tt.line {
				t.Errorf("error line = %d, want %d (%v)", d.Line, tt.line, d)
			}
			if !strings.Contains(err.Error(), "line") {
				t.Errorf("error %q does not say the line", err)
			}
		})
	}
}

func TestHash(t *testing.T) {
	if got := Hash([]byte("")); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("Hash(\"\") = %s", got)
	}
	if Hash([]byte("{}")) == Hash([]byte("{ }")) {
		t.Error("different texts hash equal")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key.txt"), []byte("sk-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.hujson")
	src := `{"providers": {"p": {"baseurl": "https://p", "models": ["m"], "apikey": "file:key.txt"}}}`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Providers["p"].APIKey; got != "sk-from-file" {
		t.Errorf("relative file: key resolved to %q, want it read next to the config", got)
	}
	if _, _, err := Load(filepath.Join(dir, "missing.hujson")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of bad file: err = %v, want it to name the file", err)
	}
}

func TestKnownButUnusedSections(t *testing.T) {
	acceptNotBuilt(t) // parses fields that are refused until built
	cfg, diags, err := Parse([]byte(`{
		"exporters": {"s3": {"bucket_name": "b"}},
		"mcp": {"servers": {}},
		"flags": {"chat_sandbox": {"value": true}},
		"connectors": {"servers": {}},
		"chat_models": [],
		"sandboxes": {},
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if strings.Contains(d.Message, "unknown key") {
			t.Errorf("known section reported unknown: %v", d)
		}
	}
	if string(cfg.Exporters) != `{"s3":{"bucket_name":"b"}}` || string(cfg.Flags) != `{"chat_sandbox":{"value":true}}` {
		t.Errorf("raw sections = %s, %s", cfg.Exporters, cfg.Flags)
	}
}

func TestReserveOutputTokens(t *testing.T) {
	tests := []struct {
		src  string
		want int
	}{
		{`{}`, 4096},
		{`{"reserve_output_tokens": 1000}`, 1000},
		{`{"reserve_output_tokens": 0}`, 0},
		{`{"reserve_output_tokens": -1}`, 4096},
		{`{"reserve_output_tokens": "many"}`, 4096},
	}
	for _, tt := range tests {
		cfg, _, err := Parse([]byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ReserveOutputTokens != tt.want {
			t.Errorf("%s: ReserveOutputTokens = %d, want %d", tt.src, cfg.ReserveOutputTokens, tt.want)
		}
	}
}
