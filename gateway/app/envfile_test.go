package app

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEnvFileRoundTrip(t *testing.T) {
	entries := []envEntry{
		{"ANTHROPIC_API_KEY", "sk-ant-0123"},
		{"SPACED", "  a b  "},
		{"QUOTED", `"starts with a quote'`},
		{"SINGLE", `'x'`},
		{"EMPTY", ""},
		{"EQUALS", "a=b=c"},
	}
	data, err := formatEnvFile(entries)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseEnvFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, entries) {
		t.Errorf("round trip:\n got %q\nwant %q\nfile:\n%s", got, entries, data)
	}
	if _, err := formatEnvFile([]envEntry{{"X", "a\nb"}}); err == nil {
		t.Error("a value with a newline was written")
	}
	if _, err := formatEnvFile([]envEntry{{"1X", "a"}}); err == nil {
		t.Error("an invalid name was written")
	}
}

func TestParseEnvFile(t *testing.T) {
	got, err := parseEnvFile([]byte("# comment\n\nexport A=1\r\nB = \"two words\" \nA=3\n  C='q'\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []envEntry{{"A", "3"}, {"B", "two words"}, {"C", "q"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := parseEnvFile([]byte("A=1\nsecret-value-without-name\n")); err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad line: %v", err)
	}
}

// The service reads its environment file at start, before the config:
// variables the environment lacks (or has empty) come from the file, one
// the environment sets keeps its value, and no value is logged.
func TestLoadEnvFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("APERTURE_T_FROM_FILE", "")
	t.Setenv("APERTURE_T_SET", "from-environment")
	os.Unsetenv("APERTURE_T_FROM_FILE")
	t.Setenv("APERTURE_T_EMPTY", "")
	if err := writeEnvFile(envFilePath(dir), []envEntry{
		{"APERTURE_T_FROM_FILE", "secret-from-file"}, {"APERTURE_T_SET", "secret-ignored"}, {"APERTURE_T_EMPTY", "secret-filled"},
	}); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	logf := func(f string, a ...any) { log.WriteString(strings.TrimSpace(fmt.Sprintf(f, a...)) + "\n") }
	if err := loadEnvFile(dir, logf); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"APERTURE_T_FROM_FILE": "secret-from-file", "APERTURE_T_SET": "from-environment", "APERTURE_T_EMPTY": "secret-filled",
	} {
		if got := os.Getenv(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if strings.Contains(log.String(), "secret") || !strings.Contains(log.String(), "APERTURE_T_FROM_FILE") {
		t.Errorf("log:\n%s", log.String())
	}
	// No file: nothing to do. A malformed one stops the start.
	if err := loadEnvFile(t.TempDir(), logf); err != nil {
		t.Errorf("no file: %v", err)
	}
	bad := t.TempDir()
	os.WriteFile(envFilePath(bad), []byte("not a line\n"), 0o600)
	if err := loadEnvFile(bad, logf); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("malformed file: %v", err)
	}
}

// `aperture install` writes the service's environment file: 0600, the
// variables the config's env: keys name (from this environment), --env
// values and what the file held before; it prints the names and the
// file, never a value, and names each reference nothing provides.
func TestInstallWritesEnvFile(t *testing.T) {
	root, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	os.MkdirAll(state, 0o700)
	// The default config (written at first start) reads OPENAI_API_KEY,
	// ANTHROPIC_API_KEY and GEMINI_API_KEY.
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-shell")
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GEMINI_API_KEY", "")
	t.Setenv("APERTURE_T_COPIED", "copied-value")
	os.WriteFile(envFilePath(state), []byte("KEPT_FROM_BEFORE=old-value\n"), 0o644)
	extra := filepath.Join(t.TempDir(), "extra.env")
	os.WriteFile(extra, []byte("HTTPS_PROXY=http://proxy.example:3128\n"), 0o600)
	code, out := runMain("install", "--root", root, "--state-dir", state,
		"--env", "GEMINI_API_KEY=gm-from-flag", "--env", "APERTURE_T_COPIED", "--env-file", extra)
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	path := envFilePath(state)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("env file: %v %v", st, err)
	}
	entries, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"KEPT_FROM_BEFORE": "old-value", "ANTHROPIC_API_KEY": "sk-ant-from-the-shell", "GEMINI_API_KEY": "gm-from-flag",
		"APERTURE_T_COPIED": "copied-value", "HTTPS_PROXY": "http://proxy.example:3128",
	}
	if len(entries) != len(want) {
		t.Errorf("entries %q, want %v", entries, want)
	}
	for _, e := range entries {
		if want[e.Name] != e.Value {
			t.Errorf("%s = %q, want %q", e.Name, e.Value, want[e.Name])
		}
	}
	for _, w := range []string{path, "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "mode 0600",
		"OPENAI_API_KEY (providers.openai.apikey) is not set", "provider openai has no key and answers 503"} {
		if !strings.Contains(out, w) {
			t.Errorf("install output lacks %q:\n%s", w, out)
		}
	}
	for _, secret := range []string{"sk-ant-from-the-shell", "gm-from-flag", "copied-value", "old-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("install printed the value %q:\n%s", secret, out)
		}
	}
	// The unit carries no secret either: the gateway reads the file.
	unit, _ := filepath.Glob(filepath.Join(root, "*", "*", "*", "aperture*"))
	for _, u := range unit {
		b, _ := os.ReadFile(u)
		if strings.Contains(string(b), "sk-ant") {
			t.Errorf("%s holds a key", u)
		}
	}

	// A bad --env is a usage error, and the file is left as it was.
	for _, bad := range []string{"1BAD=x", "APERTURE_T_UNSET_SURELY"} {
		os.Unsetenv("APERTURE_T_UNSET_SURELY")
		if code, out := runMain("install", "--root", root, "--state-dir", state, "--env", bad); code != 2 {
			t.Errorf("--env %s: exit %d\n%s", bad, code, out)
		}
	}
	if after, _ := readEnvFile(path); !slices.Equal(after, entries) {
		t.Errorf("a refused install changed the file: %q", after)
	}
}

// `aperture validate` says what Settings says: warnings (a provider
// without its key among them) are printed and exit 0, errors exit 1; and
// it reads env: keys as the service does, from the state directory's
// environment file.
func TestValidateWarningsAndErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("APERTURE_T_VALIDATE_KEY", "")
	cfg := filepath.Join(dir, "config.hujson")
	os.WriteFile(cfg, []byte(`{
  "providers": {
    "anthropic": {"baseurl": "https://api.anthropic.com", "apikey": "env:APERTURE_T_VALIDATE_KEY", "authorization": "x-api-key",
      "models": ["claude-sonnet-4-5"], "compatibility": {"anthropic_messages": true}},
  },
  "grants": [{"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}}],
}`), 0o600)
	code, out := runMain("validate", "--config", cfg)
	if code != 0 || !strings.Contains(out, "config.hujson:3:") || !strings.Contains(out, "warning") ||
		!strings.Contains(out, "APERTURE_T_VALIDATE_KEY") || !strings.Contains(out, "answered 503") || !strings.Contains(out, "OK (1 warnings)") {
		t.Errorf("keyless provider: exit %d\n%s", code, out)
	}
	// The service's environment file (the config's directory by
	// default, or --state-dir) provides the key: no warning.
	os.WriteFile(envFilePath(dir), []byte("APERTURE_T_VALIDATE_KEY=sk-from-env-file\n"), 0o600)
	code, out = runMain("validate", "--state-dir", dir)
	if code != 0 || !strings.Contains(out, "OK (0 warnings)") || strings.Contains(out, "sk-from-env-file") {
		t.Errorf("with the env file: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.hujson")
	os.WriteFile(bad, []byte(`{"providers": {"p": {"baseurl": "https://x", "models": ["m"], "auth_mode": "steal"}}, "colour": 1}`), 0o600)
	code, out = runMain("validate", "--config", bad)
	if code != 1 || !strings.Contains(out, "error") || !strings.Contains(out, "warning") || !strings.Contains(out, "Settings would refuse to save it") {
		t.Errorf("errors: exit %d\n%s", code, out)
	}
}
