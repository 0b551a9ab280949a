package app

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func runMain(args ...string) (int, string) {
	var out bytes.Buffer
	code := Main(append([]string{"aperture"}, args...), "test", &out, &out)
	return code, out.String()
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.hujson")
	os.WriteFile(good, []byte(`{
  "providers": {
    "anthropic": {
      "baseurl": "https://api.anthropic.com",
      "apikey": "k",
      "models": ["claude-sonnet-4-5",],
      "authorisation": "x-api-key", // typo: a warning on line 7
      "compatibility": {"anthropic_messages": true,},
    },
  },
  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}}],
}`), 0o600)
	code, out := runMain("validate", "--config", good)
	if code != 0 || !strings.Contains(out, "good.hujson:7:") || !strings.Contains(out, "authorisation") {
		t.Errorf("validate good: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.hujson")
	os.WriteFile(bad, []byte("{\n  \"providers\": [\n"), 0o600)
	if code, out := runMain("validate", "--config", bad); code != 1 || !strings.Contains(out, "bad.hujson:") {
		t.Errorf("validate bad: exit %d\n%s", code, out)
	}
	if code, out := runMain("validate"); code != 2 {
		t.Errorf("validate without --config: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--no-tailnet"},
		{"--advertise-tags", "ci"},
		{"--nosuchflag"},
		{"stray-argument"},
	} {
		if code, out := runMain(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, out)
		}
	}
}

func TestDefaultConfigIsWrittenAndLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "config.hujson")
	var logs []string
	cfg, src, err := loadOrCreateConfig(path, func(f string, a ...any) { logs = append(logs, f) })
	if err != nil {
		t.Fatal(err)
	}
	if cfg == nil || len(src) == 0 || len(logs) == 0 {
		t.Fatalf("cfg=%v src=%d logs=%q", cfg, len(src), logs)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("default config file: %v %v", fi, err)
	}
	// A second start reads the same file and does not overwrite it.
	os.WriteFile(path, append([]byte("// mine\n"), src...), 0o600)
	if _, src2, err := loadOrCreateConfig(path, func(string, ...any) {}); err != nil || !bytes.HasPrefix(src2, []byte("// mine")) {
		t.Errorf("existing config was not kept: %v", err)
	}
}

func TestInstallWritesUnit(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(t.TempDir(), "state")
	code, out := runMain("install", "--root", root, "--state-dir", state, "--authkey", "tskey-auth-SECRET",
		"--listen", "127.0.0.1:8080", "--advertise-tags", "tag:aperture",
		"--admin", "alice@example.com", "--admin", "tag:a,tag:b", "--local-admin")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/aperture.service"))
	if err != nil {
		t.Fatalf("unit not written: %v\n%s", err, out)
	}
	u := string(unit)
	for _, want := range []string{"--state-dir " + state, "--config " + filepath.Join(state, "config.hujson"),
		"-authkey file:" + filepath.Join(state, "authkey"), "-listen 127.0.0.1:8080", "-advertise-tags tag:aperture",
		// The service keeps the admins it was installed with, each value
		// whole (a tag set is not split into tags that each become admin).
		"-admin alice@example.com", "-admin tag:a,tag:b", "-local-admin"} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "SECRET") || strings.Contains(out, "SECRET") {
		t.Errorf("auth key leaked into the unit or output")
	}
	// uninstall is cmd/aperture's (installers/servicecmd), tested there.
}

// install refuses the --admin values a run refuses (install, with
// --root, writes a unit and starts nothing, so a regression fails here
// rather than starting a gateway).
func TestInstallRefusesBadAdmins(t *testing.T) {
	for _, args := range [][]string{
		{"--admin", "*"},
		{"--admin", ""},
		{"--admin", "group:eng"},
		{"--admin", "(loopback)"},
		{"--local-admin"}, // no --listen: nothing to trust
	} {
		root, state := t.TempDir(), t.TempDir()
		all := append([]string{"install", "--root", root, "--state-dir", state}, args...)
		if code, out := runMain(all...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, out)
		}
	}
}

func TestParseAdmins(t *testing.T) {
	tests := []struct {
		name       string
		logins     []string
		localAdmin bool
		listening  bool
		want       []string // nil with wantErr
		wantErr    bool
	}{
		{name: "none", want: nil},
		{name: "logins and tags", logins: []string{"alice@example.com", " bob@example.com ", "tag:ci", "tag:a,tag:b"},
			want: []string{"alice@example.com", "bob@example.com", "tag:ci", "tag:a,tag:b"}},
		{name: "--local-admin", localAdmin: true, listening: true, want: []string{"(loopback)"}},
		{name: "--local-admin without --listen", localAdmin: true, wantErr: true},
		{name: "everyone", logins: []string{"*"}, wantErr: true},
		{name: "empty", logins: []string{"  "}, wantErr: true},
		{name: "group", logins: []string{"group:eng"}, wantErr: true},
		{name: "loopback by name", logins: []string{"(loopback)"}, listening: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAdmins(tt.logins, tt.localAdmin, tt.listening)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A replica's ID is its hostname with a suffix of its own, kept in the
// state directory: two replicas with one --hostname differ, and a
// restart keeps the name.
func TestReplicaID(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ida, err := replicaID(a, "ai")
	if err != nil {
		t.Fatal(err)
	}
	idb, _ := replicaID(b, "ai")
	again, _ := replicaID(a, "ai")
	if !strings.HasPrefix(ida, "ai-") || ida == idb || again != ida {
		t.Errorf("ids %q, %q, after restart %q", ida, idb, again)
	}
}
