package unplug

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// PlaceholderKey is the API key every tool gets. The gateway behind
// ts-unplug knows the caller from the tailnet device, not from a key, and
// injects the provider's real key itself; the tools only insist that some
// key is set. It says what it is so that nobody mistakes it for a secret
// when it shows up in a log.
const PlaceholderKey = "ts-unplug-placeholder"

// codexKeyEnv is the variable Codex reads the placeholder from (its
// provider's env_key). A name of our own, so a real OPENAI_API_KEY in the
// user's environment is neither used nor sent.
const codexKeyEnv = "TS_UNPLUG_API_KEY"

// providerID is the name of the provider entry Codex and OpenCode get.
const providerID = "ts-unplug"

// toolSetup is what one tool needs to reach the gateway behind ts-unplug:
// variables to set, variables to remove (a real key or a competing
// backend switch inherited from the user's shell would win over ours or
// leak), and arguments that go before the user's own.
type toolSetup struct {
	Set   []envVar
	Unset []string
	Args  []string
	// Files are ts-unplug's own files the settings point to, by path,
	// written (0600) before the tool starts; never a file of the user's.
	Files map[string][]byte
}

type envVar struct{ Name, Value string }

// gatewayInfo is what a setup may use besides the base URL: the models
// the gateway lists (OpenCode needs them named) and the environment the
// tool would inherit (to merge with what is already there).
type gatewayInfo struct {
	Base   string // e.g. http://localhost:9996, no trailing slash
	Models []gatewayModel
	Getenv func(string) string
	// FilesDir is where ts-unplug keeps files of its own for tools
	// (<user cache dir>/ts-unplug/tools).
	FilesDir string
	// ReadFile reads a file the setup merges with (Gemini CLI's system
	// settings); tests replace it.
	ReadFile func(string) ([]byte, error)
	GOOS     string
}

// gatewayModel is one row of the gateway's /v1/models.
type gatewayModel struct {
	ID        string   `json:"id"`
	Endpoints []string `json:"supported_endpoints"`
}

// serves reports whether the model is served on path; a listing without
// supported_endpoints (another gateway) is taken to serve everything.
func (m gatewayModel) serves(path string) bool {
	if len(m.Endpoints) == 0 {
		return true
	}
	for _, e := range m.Endpoints {
		if e == path {
			return true
		}
	}
	return false
}

// knownTool is a coding agent ts-unplug knows how to point at the gateway.
type knownTool struct {
	Name    string
	About   string
	Install string // how to get it, for "not found on PATH"
	Setup   func(gatewayInfo) (toolSetup, error)
}

// knownTools are the agents, in the order help lists them. The settings
// follow what Aperture's own launcher does for tailnet users (clients.md),
// with the tailnet address replaced by ts-unplug's local one.
var knownTools = []knownTool{
	{Name: "claude", About: "Claude Code", Install: "npm install -g @anthropic-ai/claude-code", Setup: claudeSetup},
	{Name: "codex", About: "Codex CLI", Install: "npm install -g @openai/codex", Setup: codexSetup},
	{Name: "gemini", About: "Gemini CLI", Install: "npm install -g @google/gemini-cli", Setup: geminiSetup},
	{Name: "opencode", About: "OpenCode", Install: "npm install -g opencode-ai", Setup: opencodeSetup},
}

// lookupTool finds a known tool by the command's name, so that a path
// (/opt/bin/claude) or a Windows shim (claude.cmd) is recognised too.
func lookupTool(command string) (knownTool, bool) {
	name := command
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToLower(name)
	for _, ext := range []string{".exe", ".cmd", ".bat", ".ps1"} {
		name = strings.TrimSuffix(name, ext)
	}
	for _, t := range knownTools {
		if t.Name == name {
			return t, true
		}
	}
	return knownTool{}, false
}

// knownToolNames is "claude, codex, gemini, opencode".
func knownToolNames() string {
	names := make([]string, len(knownTools))
	for i, t := range knownTools {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

// claudeSetup: Claude Code takes the bare origin (it adds /v1/messages)
// and sends ANTHROPIC_AUTH_TOKEN as a bearer token. ANTHROPIC_API_KEY is
// removed: set too, Claude Code would send the user's real key along (as
// x-api-key) and complain about two credentials.
func claudeSetup(g gatewayInfo) (toolSetup, error) {
	return toolSetup{
		Set:   []envVar{{"ANTHROPIC_BASE_URL", g.Base}, {"ANTHROPIC_AUTH_TOKEN", PlaceholderKey}},
		Unset: []string{"ANTHROPIC_API_KEY", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"},
	}, nil
}

// codexSetup: Codex ignores OPENAI_BASE_URL, but takes any config.toml
// value as a -c override, so a whole provider entry goes on the command
// line and the user's CODEX_HOME is not touched. Codex needs the
// Responses API; the gateway speaks it over plain POST, not WebSocket.
func codexSetup(g gatewayInfo) (toolSetup, error) {
	provider := fmt.Sprintf(`model_providers.%s={name=%q, base_url=%q, wire_api="responses", env_key=%q, supports_websockets=false}`,
		providerID, "ts-unplug (tailnet gateway)", g.Base+"/v1", codexKeyEnv)
	return toolSetup{
		Set:  []envVar{{codexKeyEnv, PlaceholderKey}},
		Args: []string{"-c", fmt.Sprintf("model_provider=%q", providerID), "-c", provider},
	}, nil
}

// geminiSetup: Gemini CLI's Gemini-API mode takes its base URL from
// GOOGLE_GEMINI_BASE_URL (the bare origin; it adds /v1beta/...). But with
// that variable set, 0.61 picks an auth type of its own that it then
// refuses ("Invalid auth method selected") unless settings select
// gemini-api-key, and a user's own choice (a Google login) would win over
// any variable. So the selection goes in a system settings file of
// ts-unplug's, which outranks the user's settings without touching them,
// named by GEMINI_CLI_SYSTEM_SETTINGS_PATH; what the machine's real
// system settings say is copied into it, so an administrator's settings
// still apply. Gemini CLI ignores a settings file in a directory others
// may write, hence ts-unplug's private cache directory. The Vertex and
// Code Assist switches would send it elsewhere, so they are removed.
func geminiSetup(g gatewayInfo) (toolSetup, error) {
	path := filepath.Join(g.FilesDir, "gemini-system-settings.json")
	system := g.Getenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH")
	if system == "" || system == path {
		system = geminiSystemSettings(g.GOOS)
	}
	settings := map[string]any{}
	if b, err := g.ReadFile(system); err == nil {
		if err := json.Unmarshal(b, &settings); err != nil {
			return toolSetup{}, fmt.Errorf("Gemini CLI's system settings %s: %v", system, err)
		}
	}
	security, _ := settings["security"].(map[string]any)
	if security == nil {
		security = map[string]any{}
	}
	auth, _ := security["auth"].(map[string]any)
	if auth == nil {
		auth = map[string]any{}
	}
	auth["selectedType"] = "gemini-api-key"
	security["auth"] = auth
	settings["security"] = security
	b, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return toolSetup{}, err
	}
	return toolSetup{
		Set: []envVar{{"GOOGLE_GEMINI_BASE_URL", g.Base}, {"GEMINI_API_KEY", PlaceholderKey},
			{"GEMINI_CLI_SYSTEM_SETTINGS_PATH", path}},
		Unset: []string{"GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA"},
		Files: map[string][]byte{path: append(b, '\n')},
	}, nil
}

// geminiSystemSettings is where Gemini CLI reads system settings when
// GEMINI_CLI_SYSTEM_SETTINGS_PATH does not say.
func geminiSystemSettings(goos string) string {
	switch goos {
	case "darwin":
		return "/Library/Application Support/GeminiCli/settings.json"
	case "windows":
		return `C:\ProgramData\gemini-cli\settings.json`
	}
	return "/etc/gemini-cli/settings.json"
}

// opencodeSetup: OpenCode merges the JSON in OPENCODE_CONFIG_CONTENT over
// its config files, so a provider entry there leaves them alone. OpenCode
// shows only the models a custom provider names, so the entry names the
// gateway's Chat Completions models. What the user already had in
// OPENCODE_CONFIG_CONTENT is kept.
func opencodeSetup(g gatewayInfo) (toolSetup, error) {
	cfg := map[string]any{}
	if old := g.Getenv("OPENCODE_CONFIG_CONTENT"); strings.TrimSpace(old) != "" {
		if err := json.Unmarshal([]byte(old), &cfg); err != nil {
			return toolSetup{}, fmt.Errorf("OPENCODE_CONFIG_CONTENT is set but is not a JSON object (%v): unset it or fix it", err)
		}
	}
	providers, _ := cfg["provider"].(map[string]any)
	if providers == nil {
		providers = map[string]any{}
	}
	models := map[string]any{}
	for _, m := range g.Models {
		if m.serves("/v1/chat/completions") {
			models[m.ID] = map[string]any{"name": m.ID}
		}
	}
	providers[providerID] = map[string]any{
		"npm":     "@ai-sdk/openai-compatible",
		"name":    "ts-unplug (tailnet gateway)",
		"options": map[string]any{"baseURL": g.Base + "/v1", "apiKey": PlaceholderKey},
		"models":  models,
	}
	cfg["provider"] = providers
	b, err := json.Marshal(cfg)
	if err != nil {
		return toolSetup{}, err
	}
	return toolSetup{Set: []envVar{{"OPENCODE_CONFIG_CONTENT", string(b)}}}, nil
}

// environ applies s to env (os.Environ form): later entries for a name
// win in Go's exec, but other programs read the first, so each managed
// name is removed before ours is appended.
func (s toolSetup) environ(env []string) []string {
	drop := map[string]bool{}
	for _, n := range s.Unset {
		drop[n] = true
	}
	for _, v := range s.Set {
		drop[v.Name] = true
	}
	out := make([]string, 0, len(env)+len(s.Set))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			out = append(out, kv)
		}
	}
	for _, v := range s.Set {
		out = append(out, v.Name+"="+v.Value)
	}
	return out
}

// systemGatewayInfo is gatewayInfo for this machine and user.
func systemGatewayInfo(base string) gatewayInfo {
	dir := ""
	if cache, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(cache, "ts-unplug", "tools")
	}
	return gatewayInfo{Base: base, Getenv: os.Getenv, FilesDir: dir, ReadFile: os.ReadFile, GOOS: runtime.GOOS}
}

// writeFiles writes the setup's own files, private to this user: 0700
// directory, 0600 file, replaced whole (a rename) so that a tool starting
// meanwhile never reads half of one.
func (s toolSetup) writeFiles() error {
	for path, content := range s.Files {
		if filepath.Dir(path) == "." {
			return fmt.Errorf("no user cache directory for %s", filepath.Base(path))
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
		if err != nil {
			return err
		}
		_, err = f.Write(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
