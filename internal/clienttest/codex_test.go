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

// tokenEnv is the variable Codex reads its API key from (env_key).
const tokenEnv = "TSPLUG_CLIENTTEST_TOKEN"

// codexConfig is $CODEX_HOME/config.toml: a custom provider at baseURL
// speaking Responses over plain HTTP with no retries, and every feature
// that would reach the internet off (clients.md, "Observed offline").
func codexConfig(baseURL string) string {
	return fmt.Sprintf(`model = %q
model_provider = "gw"

[model_providers.gw]
name = "ts-plug gateway"
base_url = "%s/v1"
wire_api = "responses"
env_key = %q
supports_websockets = false
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false
unbounded_connection_retries = false

[analytics]
enabled = false
`, codexModel, baseURL, tokenEnv)
}

// codexEvent is the part of one `codex exec --json` event the test checks.
type codexEvent struct {
	Type string `json:"type"`
	Item struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Message string `json:"message"`
	} `json:"item"`
	Usage struct {
		InputTokens       int64 `json:"input_tokens"`
		CachedInputTokens int64 `json:"cached_input_tokens"`
		OutputTokens      int64 `json:"output_tokens"`
	} `json:"usage"`
}

// testCodex runs `codex exec` through tp (and so ts-unplug) and checks its
// events, what reached the provider and the ledger row.
func testCodex(ctx context.Context, t *testing.T, e *gatewayEnv, tp *tap, bin string) {
	n, m := e.fake.RequestCount(), tp.count()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(codexConfig(tp.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := cliEnv(t.TempDir(), "CODEX_HOME="+home, tokenEnv+"="+clientToken)
	out := run(ctx, t, env, bin, "exec", "--skip-git-repo-check", "--json", "respond with: hello")
	var answered, completed bool
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var ev codexEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Errorf("codex printed a line that is not a JSON event: %s", line)
			continue
		}
		switch {
		case ev.Type == "error" || ev.Type == "turn.failed" || ev.Item.Type == "error":
			t.Errorf("codex reported an error: %s", line)
		case ev.Type == "item.completed" && ev.Item.Type == "agent_message":
			answered = answered || strings.Contains(ev.Item.Text, "hello")
		case ev.Type == "turn.completed":
			completed = true
			// Responses input_tokens count the cached ones too.
			u := ev.Usage
			if u.InputTokens != usage.InputTokens+usage.CachedTokens || u.CachedInputTokens != usage.CachedTokens || u.OutputTokens != usage.OutputTokens {
				t.Errorf("codex saw usage %+v, want the fake's %+v", u, usage)
			}
		}
	}
	if !answered || !completed {
		t.Errorf("codex's events hold no completed turn with an agent message saying hello:\n%s", out)
	}

	reqs := checkUpstream(t, newRequests(e.fake, n), "/v1/responses", "Authorization", "Bearer "+openaiKey)
	session := reqs[0].Header.Get("Session-Id")
	if session == "" {
		t.Fatalf("codex sent no session-id header; headers: %v", reqs[0].Header)
	}
	for _, r := range reqs {
		if r.Model != codexModel || !r.Stream {
			t.Errorf("the provider saw model %q stream %v, want %q streamed", r.Model, r.Stream, codexModel)
		}
	}
	checkForwarded(t, tp.since(m), reqs, "Authorization")

	rows := e.sessionRows(ctx, t, session)
	if len(rows) != len(reqs) {
		t.Errorf("the ledger has %d rows for the session, the provider got %d requests", len(rows), len(reqs))
	}
	checkRows(t, rows, "openai", codexModel, "openai_responses")
}
