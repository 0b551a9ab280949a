package unplug

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

// testInfo is a gatewayInfo at base on a machine with no Gemini system
// settings, keeping ts-unplug's own files in /cache.
func testInfo(base string) gatewayInfo {
	return gatewayInfo{Base: base, Getenv: noEnv, FilesDir: "/cache", GOOS: "linux",
		ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist }}
}

// Each tool gets exactly the settings clients.md says it reads, pointed at
// the local port, and no key but the placeholder.
func TestToolSetups(t *testing.T) {
	const base = "http://localhost:9996"
	tests := []struct {
		tool  string
		set   map[string]string
		unset []string
		args  []string
	}{
		{"claude",
			map[string]string{"ANTHROPIC_BASE_URL": base, "ANTHROPIC_AUTH_TOKEN": PlaceholderKey},
			[]string{"ANTHROPIC_API_KEY", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"}, nil},
		{"codex",
			map[string]string{codexKeyEnv: PlaceholderKey}, nil,
			[]string{"-c", `model_provider="ts-unplug"`, "-c",
				`model_providers.ts-unplug={name="ts-unplug (tailnet gateway)", base_url="http://localhost:9996/v1", wire_api="responses", env_key="TS_UNPLUG_API_KEY", supports_websockets=false}`}},
		{"gemini",
			map[string]string{"GOOGLE_GEMINI_BASE_URL": base, "GEMINI_API_KEY": PlaceholderKey,
				"GEMINI_CLI_SYSTEM_SETTINGS_PATH": "/cache/gemini-system-settings.json"},
			[]string{"GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			tool, ok := lookupTool(tt.tool)
			if !ok {
				t.Fatalf("%s is not a known tool", tt.tool)
			}
			s, err := tool.Setup(testInfo(base))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, v := range s.Set {
				got[v.Name] = v.Value
			}
			if !reflect.DeepEqual(got, tt.set) {
				t.Errorf("sets %v, want %v", got, tt.set)
			}
			if !reflect.DeepEqual(s.Unset, tt.unset) {
				t.Errorf("unsets %v, want %v", s.Unset, tt.unset)
			}
			if !reflect.DeepEqual(s.Args, tt.args) {
				t.Errorf("args %q, want %q", s.Args, tt.args)
			}
		})
	}
}

// OpenCode's inline config names the gateway's Chat Completions models
// under an openai-compatible provider at /v1, and keeps what the user
// already had in OPENCODE_CONFIG_CONTENT.
func TestOpenCodeSetup(t *testing.T) {
	models := []gatewayModel{
		{ID: "gpt-4o", Endpoints: []string{"/v1/chat/completions", "/v1/responses"}},
		{ID: "claude-sonnet-4-5", Endpoints: []string{"/v1/messages"}},
		{ID: "other-gateway-model"}, // no supported_endpoints: assumed to serve all
	}
	user := `{"theme":"tokyonight","provider":{"mine":{"npm":"x"}}}`
	s, err := opencodeSetup(gatewayInfo{Base: "http://localhost:9000", Models: models,
		Getenv: func(k string) string {
			if k == "OPENCODE_CONFIG_CONTENT" {
				return user
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Set) != 1 || s.Set[0].Name != "OPENCODE_CONFIG_CONTENT" {
		t.Fatalf("sets %v, want only OPENCODE_CONFIG_CONTENT", s.Set)
	}
	var cfg struct {
		Theme    string
		Provider map[string]struct {
			NPM     string
			Options struct {
				BaseURL string
				APIKey  string
			}
			Models map[string]any
		}
	}
	if err := json.Unmarshal([]byte(s.Set[0].Value), &cfg); err != nil {
		t.Fatal(err)
	}
	p := cfg.Provider["ts-unplug"]
	if p.NPM != "@ai-sdk/openai-compatible" || p.Options.BaseURL != "http://localhost:9000/v1" || p.Options.APIKey != PlaceholderKey {
		t.Errorf("provider entry %+v", p)
	}
	if _, ok := p.Models["gpt-4o"]; !ok || len(p.Models) != 2 {
		t.Errorf("models %v, want gpt-4o and other-gateway-model (not the Messages-only one)", p.Models)
	}
	if cfg.Theme != "tokyonight" || cfg.Provider["mine"].NPM != "x" {
		t.Errorf("the user's OPENCODE_CONFIG_CONTENT was not kept: %s", s.Set[0].Value)
	}

	_, err = opencodeSetup(gatewayInfo{Base: "http://localhost:9000",
		Getenv: func(string) string { return "not json" }})
	if err == nil || !strings.Contains(err.Error(), "OPENCODE_CONFIG_CONTENT") {
		t.Errorf("a broken OPENCODE_CONFIG_CONTENT: %v, want an error naming it", err)
	}
}

// Nothing a tool is given looks like a real key, whatever the user's
// environment holds: every credential-ish value is the placeholder.
func TestSetupsCarryOnlyThePlaceholder(t *testing.T) {
	for _, tool := range knownTools {
		getenv := func(string) string { return "sk-REAL-KEY" }
		if tool.Name == "opencode" {
			getenv = noEnv // its only input is its own config variable
		}
		g := testInfo("http://localhost:9996")
		g.Getenv = getenv
		s, err := tool.Setup(g)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(s.Args, " ")
		for _, v := range s.Set {
			all += " " + v.Value
			if strings.Contains(v.Name, "KEY") || strings.Contains(v.Name, "TOKEN") {
				if v.Value != PlaceholderKey {
					t.Errorf("%s: %s = %q, want the placeholder", tool.Name, v.Name, v.Value)
				}
			}
		}
		for _, secret := range []string{"sk-", "REAL"} {
			if strings.Contains(all, secret) {
				t.Errorf("%s carries %q: %s", tool.Name, secret, all)
			}
		}
	}
}

// environ replaces managed variables (the first of a duplicated name is
// what most programs read) and removes the ones that would leak a real key.
func TestEnvironReplacesAndRemoves(t *testing.T) {
	s, _ := claudeSetup(gatewayInfo{Base: "http://localhost:9996"})
	got := s.environ([]string{"PATH=/bin", "ANTHROPIC_API_KEY=sk-ant-REAL", "ANTHROPIC_BASE_URL=https://api.anthropic.com", "HOME=/home/a"})
	want := []string{"PATH=/bin", "HOME=/home/a", "ANTHROPIC_BASE_URL=http://localhost:9996", "ANTHROPIC_AUTH_TOKEN=" + PlaceholderKey}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("environ = %q\nwant      %q", got, want)
	}
}

func TestLookupTool(t *testing.T) {
	for cmd, want := range map[string]string{
		"claude":                 "claude",
		"/usr/local/bin/codex":   "codex",
		`C:\npm\gemini.cmd`:      "gemini",
		"OpenCode.exe":           "opencode",
		"vim":                    "",
		"claude-something-else":  "",
		"/home/a/bin/not-gemini": "",
	} {
		tool, ok := lookupTool(cmd)
		if ok != (want != "") || tool.Name != want {
			t.Errorf("lookupTool(%q) = %q, %v; want %q", cmd, tool.Name, ok, want)
		}
	}
}

// Gemini CLI's auth selection goes in ts-unplug's own system settings
// file, which keeps what the machine's system settings (or those the user
// named) already say.
func TestGeminiSystemSettings(t *testing.T) {
	tests := []struct {
		name, userPath, goos, wantRead string
	}{
		{"linux default", "", "linux", "/etc/gemini-cli/settings.json"},
		{"macOS default", "", "darwin", "/Library/Application Support/GeminiCli/settings.json"},
		{"the user's own path", "/opt/gemini.json", "linux", "/opt/gemini.json"},
		{"ours from an earlier env", "/cache/gemini-system-settings.json", "linux", "/etc/gemini-cli/settings.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testInfo("http://localhost:9996")
			g.GOOS = tt.goos
			g.Getenv = func(k string) string {
				if k == "GEMINI_CLI_SYSTEM_SETTINGS_PATH" {
					return tt.userPath
				}
				return ""
			}
			var read string
			g.ReadFile = func(p string) ([]byte, error) {
				read = p
				return []byte(`{"telemetry":{"enabled":false},"security":{"auth":{"enforcedType":"gemini-api-key"}}}`), nil
			}
			s, err := geminiSetup(g)
			if err != nil {
				t.Fatal(err)
			}
			if read != tt.wantRead {
				t.Errorf("read %q, want %q", read, tt.wantRead)
			}
			var got struct {
				Telemetry struct{ Enabled *bool }
				Security  struct {
					Auth struct{ SelectedType, EnforcedType string }
				}
			}
			if err := json.Unmarshal(s.Files["/cache/gemini-system-settings.json"], &got); err != nil {
				t.Fatalf("%v: %s", err, s.Files)
			}
			if got.Security.Auth.SelectedType != "gemini-api-key" || got.Security.Auth.EnforcedType != "gemini-api-key" ||
				got.Telemetry.Enabled == nil || *got.Telemetry.Enabled {
				t.Errorf("settings %+v, want the system's kept and gemini-api-key selected", got)
			}
		})
	}
}

// The files a setup names are written private to the user, and replaced
// whole on the next run.
func TestWriteFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ts-unplug", "tools", "x.json")
	for _, content := range []string{"first", "second"} {
		if err := (toolSetup{Files: map[string][]byte{path: []byte(content)}}).writeFiles(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	di, _ := os.Stat(filepath.Dir(path))
	if string(b) != "second" || fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("content %q mode %v dir %v", b, fi.Mode().Perm(), di.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
