package clienttest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// geminiSettings is ~/.gemini/settings.json: the gateway auth type
// Gemini CLI picks itself when GOOGLE_GEMINI_BASE_URL is set, and
// everything that would reach Google off (usage statistics, telemetry,
// update checks).
const geminiSettings = `{
  "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": false}},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false},
  "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false}
}`

// geminiResult is the part of `gemini -p --output-format json` the test
// checks.
type geminiResult struct {
	SessionID string `json:"session_id"`
	Response  string `json:"response"`
	Error     any    `json:"error"`
}

// testGemini runs Gemini CLI headless through tp (and so ts-unplug) and
// checks its answer, what reached the provider and the ledger row.
func testGemini(ctx context.Context, t *testing.T, e *gatewayEnv, tp *tap, bin string) {
	n, m := e.fake.RequestCount(), tp.count()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".gemini"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".gemini", "settings.json"), []byte(geminiSettings), 0o600); err != nil {
		t.Fatal(err)
	}
	env := cliEnv(home,
		"GOOGLE_GEMINI_BASE_URL="+tp.URL,
		"GEMINI_API_KEY="+clientToken,
		"GEMINI_CLI_TRUST_WORKSPACE=true",
		"GEMINI_TELEMETRY_ENABLED=false",
	)
	out := run(ctx, t, env, bin, "-p", "respond with: hello", "--output-format", "json", "--model", geminiModel)
	var res geminiResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("gemini's output is not one JSON result: %v\n%s", err, out)
	}
	if res.Error != nil || !strings.Contains(res.Response, "hello") {
		t.Errorf("gemini's result, want a response saying hello: %s", out)
	}

	path := "/v1beta/models/" + geminiModel + ":streamGenerateContent"
	reqs := checkUpstream(t, newRequests(e.fake, n), path, "X-Goog-Api-Key", geminiKey)
	for _, r := range reqs {
		if r.Model != geminiModel || !r.Stream || r.RawQuery != "alt=sse" {
			t.Errorf("the provider saw model %q stream %v query %q, want %q streamed with alt=sse", r.Model, r.Stream, r.RawQuery, geminiModel)
		}
	}
	checkForwarded(t, tp.since(m), reqs, "X-Goog-Api-Key")

	// Gemini CLI (0.61) keeps its session id to itself: it is in its output
	// and its local chat files, but in no header or body field of the Gemini
	// API requests. The gateway falls back to its conversation fingerprint
	// (model and first user message), the same for every turn of the chat.
	if res.SessionID == "" {
		t.Errorf("gemini's result has no session id: %s", out)
	}
	for _, r := range reqs {
		for k, v := range r.Header {
			if strings.Contains(strings.Join(v, " "), res.SessionID) {
				t.Errorf("gemini now sends its session id in header %s; meter by it", k)
			}
		}
		if bytes.Contains(r.Body, []byte(res.SessionID)) {
			t.Errorf("gemini now sends its session id in the request body; meter by it")
		}
	}
	info, err := apis.ScanBody(reqs[0].Body)
	if err != nil {
		t.Fatalf("gemini's request body: %v", err)
	}
	session := ledger.SessionID(reqs[0].Header, info.SessionHints(reqs[0].Body))
	if !strings.HasPrefix(session, "fp_") {
		t.Fatalf("the gateway's session id for gemini's request is %q, want a fingerprint", session)
	}
	rows := e.sessionRows(ctx, t, session)
	if len(rows) != len(reqs) {
		t.Errorf("the ledger has %d rows for the session, the provider got %d requests", len(rows), len(reqs))
	}
	checkRows(t, rows, "gemini", geminiModel, "gemini_generate_content")
}
