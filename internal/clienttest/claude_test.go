package clienttest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// claudeResult is the part of `claude -p --output-format json` the test
// checks.
type claudeResult struct {
	Type      string `json:"type"`
	Subtype   string `json:"subtype"`
	IsError   bool   `json:"is_error"`
	Result    string `json:"result"`
	SessionID string `json:"session_id"`
	Usage     struct {
		InputTokens          int64 `json:"input_tokens"`
		OutputTokens         int64 `json:"output_tokens"`
		CacheReadInputTokens int64 `json:"cache_read_input_tokens"`
	} `json:"usage"`
}

// testClaude runs Claude Code in print mode through tp (and so ts-unplug)
// and checks its answer, what reached the provider and the ledger row.
func testClaude(ctx context.Context, t *testing.T, e *gatewayEnv, tp *tap, bin string) {
	n, m := e.fake.RequestCount(), tp.count()
	env := cliEnv(t.TempDir(),
		"ANTHROPIC_BASE_URL="+tp.URL,
		"ANTHROPIC_AUTH_TOKEN="+clientToken,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"CLAUDE_CODE_MAX_RETRIES=0",
	)
	out := run(ctx, t, env, bin, "-p", "respond with: hello", "--output-format", "json", "--model", claudeModel)
	var res claudeResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("claude's output is not one JSON result: %v\n%s", err, out)
	}
	if res.Type != "result" || res.Subtype != "success" || res.IsError || !strings.Contains(res.Result, "hello") || res.SessionID == "" {
		t.Errorf("claude's result, want a success saying hello with a session id: %s", out)
	}
	// The streamed usage reached the client intact.
	if u := res.Usage; u.InputTokens != usage.InputTokens || u.OutputTokens != usage.OutputTokens || u.CacheReadInputTokens != usage.CachedTokens {
		t.Errorf("claude saw usage %+v, want the fake's %+v", u, usage)
	}

	reqs := checkUpstream(t, newRequests(e.fake, n), "/v1/messages", "X-Api-Key", anthropicKey)
	for _, r := range reqs {
		if got := r.Header.Get("X-Claude-Code-Session-Id"); got != res.SessionID {
			t.Errorf("the provider saw x-claude-code-session-id %q, want claude's session %q", got, res.SessionID)
		}
		if r.Model != claudeModel || !r.Stream {
			t.Errorf("the provider saw model %q stream %v, want %q streamed", r.Model, r.Stream, claudeModel)
		}
	}
	checkForwarded(t, tp.since(m), reqs, "X-Api-Key")

	rows := e.sessionRows(ctx, t, res.SessionID)
	if len(rows) != len(reqs) {
		t.Errorf("the ledger has %d rows for the session, the provider got %d requests", len(rows), len(reqs))
	}
	checkRows(t, rows, "anthropic", claudeModel, "anthropic_messages")
}
