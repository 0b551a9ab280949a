package unplug

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/tunnel/sockowner"
	"github.com/urfave/cli/v2"
)

func parseArgs(t *testing.T, args ...string) (options, error) {
	t.Helper()
	var got options
	app := newApp("test", &bytes.Buffer{}, &bytes.Buffer{})
	app.Action = func(c *cli.Context) error {
		o, err := parseOptions(c, true)
		got = o
		return err
	}
	err := app.Run(append([]string{"ts-unplug", "-dir", t.TempDir()}, args...))
	return got, err
}

func TestLocalUsersFlag(t *testing.T) {
	o, err := parseArgs(t, "--local-users", "ai")
	if !sockowner.Supported {
		if err == nil || !strings.Contains(err.Error(), "not available") {
			t.Fatalf("--local-users off Linux: %v, want a usage error saying it is not available", err)
		}
		return
	}
	if err != nil || !o.localUsers {
		t.Fatalf("--local-users: localUsers %v, %v", o.localUsers, err)
	}
	if o, _ := parseArgs(t, "ai"); o.localUsers {
		t.Error("local users named to the target without --local-users")
	}
	if _, err := parseArgs(t, "--local-users", "-mode", "tcp", "ai:5432"); err == nil || !strings.Contains(err.Error(), "-mode http") {
		t.Errorf("--local-users with -mode tcp: %v, want a usage error", err)
	}
}

// The installed service keeps naming local users.
func TestInstallKeepsLocalUsers(t *testing.T) {
	if !sockowner.Supported {
		t.Skip("Linux only")
	}
	root := t.TempDir()
	code, out := runMain("install", "--root", root, "-dir", t.TempDir(), "--local-users", "ai.example.ts.net")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/ts-unplug.service"))
	if err != nil || !strings.Contains(string(unit), "-local-users") {
		t.Errorf("unit lacks -local-users (%v):\n%s", err, unit)
	}
}
