package clienttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// opencodeConfig is $XDG_CONFIG_HOME/opencode/opencode.json: one
// @ai-sdk/openai-compatible provider at baseURL/v1 holding the
// placeholder key, the only provider enabled, and sharing, updates and
// LSP/formatter downloads off.
func opencodeConfig(baseURL string) string {
	return fmt.Sprintf(`{
  "$schema": "https://opencode.ai/config.json",
  "provider": {
    "gw": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "ts-plug gateway",
      "options": {"baseURL": "%s/v1", "apiKey": "{env:%s}"},
      "models": {%q: {"name": "GPT-5 mini"}}
    }
  },
  "enabled_providers": ["gw"],
  "model": "gw/%[3]s",
  "small_model": "gw/%[3]s",
  "autoupdate": false,
  "share": "disabled",
  "lsp": false,
  "formatter": false
}
`, baseURL, tokenEnv, opencodeModel)
}

// opencodeEvent is the part of one `opencode run --format json` event the
// test checks.
type opencodeEvent struct {
	Type      string `json:"type"`
	SessionID string `json:"sessionID"`
	Part      struct {
		Type   string `json:"type"`
		Text   string `json:"text"`
		Tokens struct {
			Input  int64 `json:"input"`
			Output int64 `json:"output"`
			Cache  struct {
				Read int64 `json:"read"`
			} `json:"cache"`
		} `json:"tokens"`
	} `json:"part"`
	Error any `json:"error"`
}

// testOpenCode runs `opencode run` through tp (and so ts-unplug) and
// checks its events, what reached the provider and the ledger row.
func testOpenCode(ctx context.Context, t *testing.T, e *gatewayEnv, tp *tap, bin string) {
	n, m := e.fake.RequestCount(), tp.count()
	home := t.TempDir()
	dir := filepath.Join(home, ".config", "opencode")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "opencode.json"), []byte(opencodeConfig(tp.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := cliEnv(home,
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		tokenEnv+"="+clientToken,
		"OPENCODE_DISABLE_AUTOUPDATE=true",
		"OPENCODE_DISABLE_MODELS_FETCH=true",
		"OPENCODE_DISABLE_LSP_DOWNLOAD=true",
		"OPENCODE_DISABLE_DEFAULT_PLUGINS=true",
		"OPENCODE_DISABLE_SHARE=true",
		"OPENCODE_DISABLE_CLAUDE_CODE=true",
	)
	// --pure: no plugins (OpenCode would otherwise install its default
	// ones from npm); --title: no extra request to make one up.
	out := run(ctx, t, env, bin, "run", "--format", "json", "--pure", "--title", "clienttest",
		"--model", "gw/"+opencodeModel, "respond with: hello")
	var answered, finished bool
	var session string
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var ev opencodeEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Errorf("opencode printed a line that is not a JSON event: %s", line)
			continue
		}
		if ev.SessionID != "" {
			session = ev.SessionID
		}
		switch {
		case ev.Type == "error" || ev.Error != nil:
			t.Errorf("opencode reported an error: %s", line)
		case ev.Type == "text":
			answered = answered || strings.Contains(ev.Part.Text, "hello")
		case ev.Type == "step_finish":
			finished = true
			if u := ev.Part.Tokens; u.Input != usage.InputTokens || u.Output != usage.OutputTokens || u.Cache.Read != usage.CachedTokens {
				t.Errorf("opencode saw tokens %+v, want the fake's %+v", u, usage)
			}
		}
	}
	if !answered || !finished || session == "" {
		t.Errorf("opencode's events hold no finished step with text saying hello and a session id:\n%s", out)
	}

	reqs := checkUpstream(t, newRequests(e.fake, n), "/v1/chat/completions", "Authorization", "Bearer "+openaiKey)
	for _, r := range reqs {
		// OpenCode sends its session id in x-session-id (and
		// x-session-affinity), which the gateway meters by.
		if got := r.Header.Get("X-Session-Id"); got != session {
			t.Errorf("the provider saw x-session-id %q, want opencode's session %q", got, session)
		}
		if r.Model != opencodeModel || !r.Stream {
			t.Errorf("the provider saw model %q stream %v, want %q streamed", r.Model, r.Stream, opencodeModel)
		}
	}
	checkForwarded(t, tp.since(m), reqs, "Authorization")

	rows := e.sessionRows(ctx, t, session)
	if len(rows) != len(reqs) {
		t.Errorf("the ledger has %d rows for the session, the provider got %d requests", len(rows), len(reqs))
	}
	checkRows(t, rows, "openai", opencodeModel, "openai_chat")
}
