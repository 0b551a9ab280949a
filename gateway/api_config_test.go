package gateway

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// configAnswer is GET /api/config and the fields of the other answers.
type configAnswer struct {
	Config      string     `json:"config"`
	Exists      bool       `json:"exists"`
	Hash        string     `json:"hash"`
	Writable    bool       `json:"writable"`
	Valid       bool       `json:"valid"`
	Success     bool       `json:"success"`
	Errors      int        `json:"errors"`
	Warnings    int        `json:"warnings"`
	Diagnostics []diagJSON `json:"diagnostics"`
	Error       struct {
		Message string `json:"message"`
	} `json:"error"`
}

func decodeAnswer(t *testing.T, body string) configAnswer {
	t.Helper()
	var a configAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return a
}

// csrf is the header the dashboard sends with config changes.
var csrf = []string{CSRFHeader, "1"}

func putBody(text, hash string) string {
	b, _ := json.Marshal(map[string]string{"config": text, "hash": hash})
	return string(b)
}

func TestGetConfigMasksSecrets(t *testing.T) {
	f := newDashFixture(t)
	res, body := do(t, "GET", f.url("alice", "/api/config"), "")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	a := decodeAnswer(t, body)
	_, src := f.gw.Config()
	if a.Hash != config.Hash(src) || !a.Exists || !a.Writable {
		t.Errorf("answer = %+v", a)
	}
	if strings.Contains(body, "literal-provider-key") {
		t.Errorf("provider key returned:\n%s", a.Config)
	}
	for _, s := range []string{`"apikey": "sk-a…(masked)"`, `"apikey": "file:openai.key", // read from a file`, "// dashboard test config"} {
		if !strings.Contains(a.Config, s) {
			t.Errorf("config lacks %s:\n%s", s, a.Config)
		}
	}
	// Only the key changed: the rest of the text is byte for byte the same.
	if got := strings.Replace(string(src), "sk-ant-literal-provider-key-0123456789", "sk-a…(masked)", 1); got != a.Config {
		t.Errorf("masking changed more than the key")
	}
	for _, who := range []string{"bob", "carol"} {
		if res, body := do(t, "GET", f.url(who, "/api/config"), ""); res.StatusCode != 403 || strings.Contains(body, "anthropic") {
			t.Errorf("%s read the config: %d", who, res.StatusCode)
		}
	}
	if res, _ := do(t, "GET", f.url("alice", "/aperture/config"), ""); res.StatusCode != 200 {
		t.Errorf("/aperture/config alias: %d", res.StatusCode)
	}
}

func TestValidateConfig(t *testing.T) {
	f := newDashFixture(t)
	_, body := do(t, "GET", f.url("alice", "/api/config"), "")
	masked := decodeAnswer(t, body).Config
	validate := func(text string, hdr ...string) (int, configAnswer) {
		t.Helper()
		res, body := do(t, "POST", f.url("alice", "/api/config/validate"), putBody(text, ""), hdr...)
		return res.StatusCode, decodeAnswer(t, body)
	}
	if st, a := validate(masked, csrf...); st != 200 || !a.Valid || len(a.Diagnostics) != 0 {
		t.Errorf("the running config, masked: %d %+v", st, a)
	}
	// A typo is a warning: listed with its line, and no obstacle to a
	// save (valid), as `aperture validate` passes it.
	typo := strings.Replace(masked, `"cost_basis"`, `"cost_bsis"`, 1)
	st, a := validate(typo, csrf...)
	if st != 200 || !a.Valid || a.Errors != 0 || a.Warnings == 0 || len(a.Diagnostics) != a.Warnings {
		t.Fatalf("typo: %d %+v", st, a)
	}
	found := false
	for _, d := range a.Diagnostics {
		if d.Line == 9 && strings.Contains(d.Path, "cost_bsis") {
			found = true
		}
	}
	if !found {
		t.Errorf("no diagnostic at line 9 for cost_bsis: %+v", a.Diagnostics)
	}
	// A typo in a baseurl is an error, though: the provider's stored key
	// is not sent to wherever the text now points.
	if _, a := validate(strings.Replace(masked, `"baseurl"`, `"basurl"`, 1), csrf...); a.Valid || a.Errors == 0 {
		t.Errorf("basurl typo: %+v", a)
	}
	// Pointing a provider elsewhere while sending its masked key back
	// must not hand the stored key to the new upstream.
	if i := strings.Index(masked, `"baseurl": "`); i >= 0 {
		j := i + len(`"baseurl": "`)
		k := j + strings.Index(masked[j:], `"`)
		moved := masked[:j] + "https://attacker.example" + masked[k:]
		if _, a := validate(moved, csrf...); a.Valid || !strings.Contains(diagText(a), "baseurl changed") {
			t.Errorf("moved provider kept its stored key: %+v", a)
		}
	}
	lockout := strings.Replace(masked, `"alice@example.com"`, `"someone-else@example.com"`, 1)
	if _, a := validate(lockout, csrf...); a.Valid || !strings.Contains(body+diagText(a), "remove your own admin role") {
		t.Errorf("lockout not reported: %+v", a)
	}
	if _, a := validate("  \n", csrf...); a.Valid || !strings.Contains(diagText(a), "empty") {
		t.Errorf("empty config: %+v", a)
	}
	if _, a := validate(`{"providers": `, csrf...); a.Valid || a.Errors != 1 || a.Diagnostics[0].Severity != "error" {
		t.Errorf("syntax error: %+v", a)
	}
	if st, _ := validate(masked); st != 403 {
		t.Errorf("without %s: %d", CSRFHeader, st)
	}
	if res, _ := do(t, "POST", f.url("bob", "/api/config/validate"), putBody(masked, ""), csrf...); res.StatusCode != 403 {
		t.Errorf("user validated: %d", res.StatusCode)
	}
	if res, _ := do(t, "POST", f.url("alice", "/aperture/config:validate"), putBody(masked, ""), csrf...); res.StatusCode != 200 {
		t.Errorf("/aperture/config:validate alias: %d", res.StatusCode)
	}
}

func diagText(a configAnswer) string {
	var b strings.Builder
	for _, d := range a.Diagnostics {
		b.WriteString(d.Message + "\n")
	}
	return b.String()
}

func TestPutConfig(t *testing.T) {
	f := newDashFixture(t)
	_, body := do(t, "GET", f.url("alice", "/api/config"), "")
	cur := decodeAnswer(t, body)
	edited := strings.Replace(cur.Config, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "gpt-4o-mini"]`, 1)
	if edited == cur.Config {
		t.Fatal("edit did not apply")
	}

	tests := []struct {
		name, who, body string
		hdr             []string
		status          int
		want            string
	}{
		{"user", "bob", putBody(edited, cur.Hash), csrf, 403, "admin role"},
		{"no csrf header", "alice", putBody(edited, cur.Hash), nil, 403, CSRFHeader},
		{"form post", "alice", putBody(edited, cur.Hash), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, csrf...), 415, "application/json"},
		{"cross-site origin", "alice", putBody(edited, cur.Hash), append([]string{"Origin", "https://evil.example.com"}, csrf...), 403, ""},
		{"stale hash", "alice", putBody(edited, "0123"), csrf, 409, "changed since you loaded it"},
		{"syntax error", "alice", putBody(edited+"\n}", cur.Hash), csrf, 422, "1 error(s) must be fixed first"},
		{"lockout", "alice", putBody(strings.Replace(edited, `"alice@example.com"`, `"x@example.com"`, 1), cur.Hash), csrf, 422, "remove your own admin role"},
		{"unknown mask", "alice", putBody(strings.Replace(edited, "sk-a…(masked)", "zz-z…(masked)", 1), cur.Hash), csrf, 422, "matches no stored value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, "PUT", f.url(tt.who, "/api/config"), tt.body, tt.hdr...)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d %s; want %d with %q", res.StatusCode, body, tt.status, tt.want)
			}
			if _, src := f.gw.Config(); config.Hash(src) != cur.Hash {
				t.Errorf("refused save changed the running config")
			}
		})
	}

	res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(edited, cur.Hash), csrf...)
	if res.StatusCode != 200 {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	a := decodeAnswer(t, body)
	file, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, src := f.gw.Config()
	if string(file) != string(src) || a.Hash != config.Hash(file) || !a.Success {
		t.Errorf("file, running text and hash disagree: %+v", a)
	}
	if !strings.Contains(string(file), `"apikey": "sk-ant-literal-provider-key-0123456789"`) || strings.Contains(string(file), "masked") {
		t.Errorf("the stored key was not kept:\n%s", file)
	}
	if !cfg.Providers["openai"].HasModel("gpt-4o-mini") || cfg.Providers["anthropic"].APIKey != "sk-ant-literal-provider-key-0123456789" {
		t.Errorf("running config not updated: %+v", cfg.Providers["openai"].Models)
	}
	if st, err := os.Stat(f.path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("config file mode = %v, %v", st.Mode(), err)
	}
	// The watcher finds the same text: nothing to reload.
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(f.path), ".config.hujson.tmp-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	hist, err := f.ledger.ConfigHistory(t.Context(), 1)
	if err != nil || len(hist) != 1 || hist[0].Author != "alice@example.com" || hist[0].Hash != a.Hash {
		t.Errorf("config history = %+v, %v", hist, err)
	}
	// The old hash is now stale.
	if res, _ := do(t, "PUT", f.url("alice", "/api/config"), putBody(edited, cur.Hash), csrf...); res.StatusCode != 409 {
		t.Errorf("second save with the old hash: %d", res.StatusCode)
	}
	// The new model is usable at once.
	if res, body := do(t, "POST", f.url("alice", "/v1/chat/completions"), `{"model":"gpt-4o-mini","messages":[]}`); res.StatusCode != 200 {
		t.Errorf("new model: %d %s", res.StatusCode, body)
	}
}

func TestPutConfigWithoutFile(t *testing.T) {
	f := newFixture(t)
	_, src := f.gw.Config()
	res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(string(src), config.Hash(src)), csrf...)
	if res.StatusCode != 501 || !strings.Contains(body, "without a config file") {
		t.Errorf("%d %s", res.StatusCode, body)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.hujson")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v", b, st.Mode())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("leftover files: %v", ents)
	}
	if err := writeFileAtomic(filepath.Join(t.TempDir(), "missing", "c"), []byte("x")); err == nil {
		t.Errorf("write into a missing directory succeeded")
	}
}

// Warnings do not stop a save: the config is written and applied, and
// the answer lists them (as `aperture validate` prints them and exits 0).
// Errors do (TestPutConfig). A provider without its key is such a
// warning: the admin of an Anthropic-only gateway can save with the
// default OpenAI provider left keyless.
func TestPutConfigSavesWithWarnings(t *testing.T) {
	f := newDashFixture(t)
	_, body := do(t, "GET", f.url("alice", "/api/config"), "")
	cur := decodeAnswer(t, body)
	withWarnings := strings.Replace(cur.Config, `"providers": {`, `"providers": {
    "spare": {"baseurl": "https://api.openai.com", "models": ["gpt-5"]},`, 1)
	withWarnings = strings.Replace(withWarnings, `"cost_basis": "anthropic",`, `"cost_basis": "anthropic", "colour": "blue",`, 1)
	if withWarnings == cur.Config {
		t.Fatal("edit did not apply")
	}
	res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(withWarnings, cur.Hash), csrf...)
	a := decodeAnswer(t, body)
	if res.StatusCode != 200 || !a.Success || a.Errors != 0 || a.Warnings < 2 {
		t.Fatalf("save with warnings: %d %s", res.StatusCode, body)
	}
	text := diagText(a)
	for _, want := range []string{"colour", `provider "spare" has no API key`, "sets no apikey", "answered 503"} {
		if !strings.Contains(text, want) {
			t.Errorf("the answer's warnings lack %q:\n%s", want, text)
		}
	}
	for _, d := range a.Diagnostics {
		if d.Severity != "warning" || d.Line == 0 {
			t.Errorf("diagnostic %+v: want a warning with its line", d)
		}
	}
	cfg, src := f.gw.Config()
	if a.Hash != config.Hash(src) || cfg.Providers["spare"] == nil {
		t.Errorf("the config with warnings was not applied")
	}
	if file, _ := os.ReadFile(f.path); string(file) != string(src) {
		t.Errorf("the config with warnings was not written")
	}
	// Validation says the same: valid, with the same warnings.
	_, body = do(t, "GET", f.url("alice", "/api/config"), "")
	res, body = do(t, "POST", f.url("alice", "/api/config/validate"), putBody(decodeAnswer(t, body).Config, ""), csrf...)
	if v := decodeAnswer(t, body); res.StatusCode != 200 || !v.Valid || v.Warnings != a.Warnings || diagText(v) != text {
		t.Errorf("validate after the save: %d %s; want the save's %d warnings", res.StatusCode, body, a.Warnings)
	}
}
