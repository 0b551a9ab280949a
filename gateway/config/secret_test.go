package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveSecret(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k")
	if err := os.WriteFile(keyFile, []byte("  sk-file-secret \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TSPLUG_TEST_KEY", "sk-env-secret")
	t.Setenv("TSPLUG_TEST_EMPTY", "")
	tests := []struct {
		name, value, baseDir, want string
		wantErr                    string
	}{
		{"literal", "sk-literal", "", "sk-literal", ""},
		{"vertex keyfile is literal", "keyfile::eyJ9", "", "keyfile::eyJ9", ""},
		{"env", "env:TSPLUG_TEST_KEY", "", "sk-env-secret", ""},
		{"env missing", "env:TSPLUG_TEST_NOPE", "", "", "TSPLUG_TEST_NOPE is not set"},
		{"env empty", "env:TSPLUG_TEST_EMPTY", "", "", "is empty"},
		{"env no name", "env:", "", "", "no variable name"},
		{"file absolute", "file:" + keyFile, "", "sk-file-secret", ""},
		{"file relative", "file:k", dir, "sk-file-secret", ""},
		{"file missing", "file:nope", dir, "", "reading key file"},
		{"file empty", "file:empty", dir, "", "is empty"},
		{"file no path", "file:", dir, "", "no path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveSecret(tt.value, tt.baseDir)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("resolveSecret = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("got key %q alongside an error", got)
			}
		})
	}
}

// TestKeysNeverInDiagnostics makes sure no warning or error text repeats a
// key, even when the key is nonsense or the config is broken around it.
func TestKeysNeverInDiagnostics(t *testing.T) {
	const secret = "sk-SUPERSECRET-123"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TSPLUG_SECRET", secret)
	srcs := []string{
		`{"providers": {"p": {"apikey": "` + secret + `", "authorization": "bogus", "basurl": 1}}}`,
		`{"providers": {"p": {"apikey": "env:TSPLUG_SECRET", "models": 3}}}`,
		`{"providers": {"p": {"apikey": "file:k", "models": [1]}}}`,
		`{"hooks": {"h": {"apikey": "` + secret + `", "url": "ftp://x"}}}`,
		`{"providers": {"p": {"baseurl": "ftp://u:` + secret + `@x", "add_headers": ["Authorization Bearer ` + secret + `"]}}}`,
	}
	for _, src := range srcs {
		_, diags, err := parse([]byte(src), dir)
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks key: %v", err)
		}
		for _, d := range diags {
			if strings.Contains(d.String(), secret) {
				t.Errorf("diagnostic leaks key: %v", d)
			}
		}
	}
}

func TestProviderKeyWarnings(t *testing.T) {
	t.Setenv("TSPLUG_GOOD", "sk-good")
	cfg, diags, err := Parse([]byte(`{"providers": {
		"good": {"baseurl": "https://a", "models": ["m"], "apikey": "env:TSPLUG_GOOD"},
		"bad":  {"baseurl": "https://b", "models": ["m"],
		         "apikey": "env:TSPLUG_DEFINITELY_UNSET"},
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Providers["good"].APIKey; got != "sk-good" {
		t.Errorf("good key = %q", got)
	}
	if got := cfg.Providers["bad"].APIKey; got != "" {
		t.Errorf("bad provider has key %q, want none", got)
	}
	d, ok := diagAt(diags, "providers.bad.apikey")
	if !ok || d.Line != 4 || d.Severity != Warning {
		t.Errorf("missing env warning at line 4: %v", diags)
	}
	if hasDiag(diags, "providers.good.apikey") {
		t.Error("warning for a resolvable key")
	}
}
