package unplug

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func runMain(args ...string) (int, string) {
	var out bytes.Buffer
	code := Main(append([]string{"ts-unplug"}, args...), "test", &out, &out)
	return code, out.String()
}

func TestInstallWritesUnitAndKeepsKeyOutOfIt(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(t.TempDir(), "state with space")
	code, out := runMain("install", "--root", root, "-dir", state, "-port", "9996",
		"-authkey", "tskey-auth-SECRET", "-allow-origin", "http://localhost:3000", "-ephemeral", "ai.example.ts.net")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/ts-unplug.service"))
	if err != nil {
		t.Fatalf("unit not written: %v\n%s", err, out)
	}
	u := string(unit)
	for _, want := range []string{
		"Restart=always",
		`"` + state + `"`, // absolute state dir, quoted for its space
		"-port 9996",
		`-authkey "file:` + state + `/authkey"`,
		"-allow-origin http://localhost:3000",
		"-ephemeral",
		"http://ai.example.ts.net",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "SECRET") || strings.Contains(out, "SECRET") {
		t.Errorf("the auth key is in the unit or the output:\n%s\n%s", u, out)
	}
	key, err := os.ReadFile(filepath.Join(state, "authkey"))
	if err != nil || strings.TrimSpace(string(key)) != "tskey-auth-SECRET" {
		t.Errorf("auth key file = %q, %v", key, err)
	}
	if fi, _ := os.Stat(filepath.Join(state, "authkey")); fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("auth key file mode = %v", fi)
	}

	if code, out := runMain("uninstall", "--root", root); code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/system/ts-unplug.service")); !os.IsNotExist(err) {
		t.Errorf("unit still there after uninstall: %v", err)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-listen", "example.com", "ai"},
		{"-mode", "tcp", "https://ai"},
		{"install", "--root", t.TempDir()},
		{"stop", "extra"},
	} {
		if code, out := runMain(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, out)
		}
	}
}

func TestListenForms(t *testing.T) {
	tests := []struct {
		args []string
		want string
		warn bool
	}{
		{[]string{"ai"}, "127.0.0.1:9996", false},
		{[]string{"-port", "8000", "ai"}, "127.0.0.1:8000", false},
		{[]string{"-listen", "127.0.0.1:7000", "ai"}, "127.0.0.1:7000", false},
		{[]string{"-listen", "::1", "ai"}, "[::1]:9996", false},
		{[]string{"-listen", "0.0.0.0", "ai"}, "0.0.0.0:9996", true},
	}
	for _, tt := range tests {
		var got options
		app := newApp("test", &bytes.Buffer{}, &bytes.Buffer{})
		app.Action = func(c *cli.Context) error {
			o, err := parseOptions(c, true)
			got = o
			return err
		}
		if err := app.Run(append([]string{"ts-unplug", "-dir", t.TempDir()}, tt.args...)); err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if got.listen != tt.want || got.warnNonLoopback != tt.warn {
			t.Errorf("%q: listen %q warn %v, want %q %v", tt.args, got.listen, got.warnNonLoopback, tt.want, tt.warn)
		}
	}
}

// Whoever runs ts-unplug on a shared machine must learn from --help that
// every local user can use the tunnel, and where the login URL is.
func TestHelpSaysWhoCanUseTheTunnel(t *testing.T) {
	code, out := runMain("--help")
	out = strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"every local process, of any user, can use the tunnel",
		"The login URL is never in an HTTP answer", "`ts-unplug status`", "--local-users"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--help (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
}

func TestStatusCommand(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"/home/amy/.config/ts-unplug/laptop", "ts-unplug status -dir /home/amy/.config/ts-unplug/laptop"},
		{"/Users/Amy Smith/state", `ts-unplug status -dir "/Users/Amy Smith/state"`},
	}
	for _, tt := range tests {
		if got := statusCommand(tt.dir); got != tt.want {
			t.Errorf("statusCommand(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}
