package gateway

import (
	"html"
	"os"
	"strings"
	"testing"
)

// TestAdminViewsMaskEverySecret: GET /api/config, the Settings page and
// the config history show every secret of secretsConfig masked (and the
// masks themselves, so a view that drops the field would fail), and a
// save that sends the masks back keeps every stored value in force.
func TestAdminViewsMaskEverySecret(t *testing.T) {
	f := newDashFixtureWith(t, secretsConfig)
	check := func(t *testing.T, view, text string) {
		t.Helper()
		for _, s := range secretsLiterals {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q", view, s)
			}
		}
		for _, m := range secretsMasked {
			if !strings.Contains(text, m) {
				t.Errorf("%s lacks %s:\n%s", view, m, text)
			}
		}
	}
	cur := maskedConfig(t, f)
	check(t, "GET /api/config", cur.Config)
	res, page := do(t, "GET", f.url("alice", "/ui/settings"), "")
	if res.StatusCode != 200 {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	check(t, "the Settings page", html.UnescapeString(page))

	// Send every mask back with an unrelated edit.
	edited := mustReplace(t, cur.Config, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "gpt-4o-mini"]`)
	res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(edited, cur.Hash), csrf...)
	if res.StatusCode != 200 {
		t.Fatalf("save with masks: %d %s", res.StatusCode, body)
	}
	file, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secretsLiterals {
		if !strings.Contains(string(file), s) {
			t.Errorf("the saved file lost %q:\n%s", s, file)
		}
	}
	hist, err := f.ledger.ConfigHistory(t.Context(), 1)
	if err != nil || len(hist) != 1 {
		t.Fatalf("history = %v, %v", hist, err)
	}
	check(t, "the config history", hist[0].Config)
	check(t, "GET /api/config after the save", maskedConfig(t, f).Config)

	// The stored values are still the ones sent upstream.
	if res, body := do(t, "POST", f.url("alice", "/v1/messages"), seedMessages); res.StatusCode != 200 {
		t.Fatalf("request: %d %s", res.StatusCode, body)
	}
	last, _ := f.fake.LastRequest()
	for name, want := range map[string]string{"X-Api-Key": "sk-ant-literal-provider-key-0123456789",
		"X-Provider-Secret": "hdr-provider-secret-0123456789", "X-Grant-Secret": "grant-secret-value-0123456789"} {
		if got := last.Header.Get(name); got != want {
			t.Errorf("upstream %s = %q, want %q", name, got, want)
		}
	}
}

// TestSettingsPageShowsRefusal follows a refusal the way the Settings
// page makes and reads it: settings.js PUTs from the gateway's own page
// and shows error.message with each diagnostic's line, path and message.
func TestSettingsPageShowsRefusal(t *testing.T) {
	js, err := os.ReadFile("ui/static/settings.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"data.error.message", "r.data.diagnostics", "d.line", "d.path", "d.message"} {
		if !strings.Contains(string(js), field) {
			t.Fatalf("settings.js no longer reads %s; this test follows the wrong path", field)
		}
	}
	f := newDashFixtureWith(t, secretsConfig)
	cur := maskedConfig(t, f)
	text := addProvider(cur.Config, `"evil": {"baseurl": "https://evil.example", "apikey": "env:HOME", "models": ["m"]}`)
	res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(text, cur.Hash),
		append([]string{"Origin", f.fronts["alice"].URL}, csrf...)...)
	if res.StatusCode != 422 {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	a := decodeAnswer(t, body)
	if !strings.Contains(a.Error.Message, "not saved") {
		t.Errorf("error.message = %q", a.Error.Message)
	}
	checkRefusal(t, a, "providers.evil.apikey", []string{`provider "evil"`, `apikey "env:HOME"`, allowSecretRefFlag})
	// The line points at the reference in the text the page sent.
	for _, d := range a.Diagnostics {
		if d.Path == "providers.evil.apikey" {
			if line := strings.Split(text, "\n")[d.Line-1]; !strings.Contains(line, `"env:HOME"`) {
				t.Errorf("line %d is %q", d.Line, line)
			}
		}
	}
}
