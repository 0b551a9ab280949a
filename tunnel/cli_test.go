package tunnel

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestExitStatus(t *testing.T) {
	var out bytes.Buffer
	if got := ExitStatus("x", nil, &out); got != 0 {
		t.Errorf("nil → %d", got)
	}
	if got := ExitStatus("x", cli.Exit("x: bad flag", 2), &out); got != 2 || !strings.Contains(out.String(), "bad flag") {
		t.Errorf("usage error → %d %q", got, out.String())
	}
	out.Reset()
	if got := ExitStatus("x", errors.New("disk full"), &out); got != 1 || out.String() != "x: disk full\n" {
		t.Errorf("runtime error → %d %q", got, out.String())
	}
}

func TestParseTags(t *testing.T) {
	if got, err := ParseTags(" tag:ci, tag:prod"); err != nil || strings.Join(got, ",") != "tag:ci,tag:prod" {
		t.Errorf("got %q %v", got, err)
	}
	for _, bad := range []string{"ci", "tag:", "tag:ci,,tag:x"} {
		if _, err := ParseTags(bad); err == nil {
			t.Errorf("ParseTags(%q) accepted", bad)
		}
	}
}

func TestServiceAuthKey(t *testing.T) {
	dir := t.TempDir()
	v, err := ServiceAuthKey(dir, "tskey-secret")
	if err != nil || v != "file:"+filepath.Join(dir, "authkey") {
		t.Fatalf("got %q %v", v, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "authkey"))
	if string(b) != "tskey-secret\n" {
		t.Errorf("file = %q", b)
	}
	if v, _ := ServiceAuthKey(dir, "file:/k"); v != "file:/k" {
		t.Errorf("file: flag changed to %q", v)
	}
	if got := ReplaceFlag([]string{"-authkey", "a", "-x", "y"}, "authkey", "b"); got[1] != "b" || got[3] != "y" {
		t.Errorf("ReplaceFlag = %q", got)
	}
}

func TestServiceAuthKeyFile(t *testing.T) {
	tests := []struct {
		name    string
		before  func(t *testing.T, dir, p string) // what is at the path already
		wantErr bool
	}{
		{"fresh", func(*testing.T, string, string) {}, false},
		{"older world-readable file", func(t *testing.T, _, p string) {
			os.WriteFile(p, []byte("tskey-old\n"), 0o644)
			os.Chmod(p, 0o644)
		}, false},
		{"symlink to a file others can read", func(t *testing.T, dir, p string) {
			os.WriteFile(filepath.Join(dir, "public"), []byte("nothing\n"), 0o644)
			if err := os.Symlink(filepath.Join(dir, "public"), p); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, true},
		{"dangling symlink", func(t *testing.T, dir, p string) {
			if err := os.Symlink(filepath.Join(dir, "public"), p); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, true},
		{"directory", func(t *testing.T, _, p string) { os.Mkdir(p, 0o700) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "authkey")
			tt.before(t, dir, p)
			// A hard link sees the old inode: an atomic write replaces
			// the file, an in-place write would change it.
			var oldLink string
			if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
				oldLink = filepath.Join(dir, "old")
				os.Link(p, oldLink)
			}
			_, err := ServiceAuthKey(dir, "tskey-secret")
			if tt.wantErr {
				if err == nil {
					t.Fatal("saved the key over a non-regular file")
				}
				if b, _ := os.ReadFile(filepath.Join(dir, "public")); strings.Contains(string(b), "tskey-secret") {
					t.Errorf("the key was written through the symlink")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Errorf("authkey = %v, %v; want a regular 0600 file", fi, err)
			}
			if b, _ := os.ReadFile(p); string(b) != "tskey-secret\n" {
				t.Errorf("authkey holds %q", b)
			}
			if oldLink != "" {
				if b, _ := os.ReadFile(oldLink); strings.Contains(string(b), "tskey-secret") {
					t.Errorf("the old file was rewritten in place, not replaced atomically")
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "authkey.tmp*")); len(left) > 0 {
				t.Errorf("temporary files left: %q", left)
			}
		})
	}
}

func TestFlagArgs(t *testing.T) {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "dir"}, &cli.IntFlag{Name: "port", Value: 9996}, &cli.BoolFlag{Name: "ephemeral"},
		&cli.StringSliceFlag{Name: "allow-origin"}, &cli.DurationFlag{Name: "grace"}, &cli.StringFlag{Name: "hostname"},
	}
	var got []string
	app := &cli.App{Flags: flags, Action: func(c *cli.Context) error {
		got = FlagArgs(c, flags, "dir")
		return nil
	}}
	app.Run([]string{"x", "-dir", "/d", "-port", "1", "-ephemeral", "-allow-origin", "a", "-allow-origin", "b", "-grace", "90s"})
	want := "-port 1 -ephemeral -allow-origin a -allow-origin b -grace 1m30s"
	if strings.Join(got, " ") != want {
		t.Errorf("FlagArgs = %q, want %q (defaults and skipped flags left out)", strings.Join(got, " "), want)
	}
}

func TestStateDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	t.Setenv("HOME", "/home/u")
	if got, err := StateDir("ts-unplug", "", "laptop"); err != nil || got != "/cfg/ts-unplug/laptop" {
		t.Errorf("default = %q, %v", got, err)
	}
	if got, err := StateDir("ts-unplug", "rel/state", "x"); err != nil || !filepath.IsAbs(got) || !strings.HasSuffix(got, "rel/state") {
		t.Errorf("relative -dir = %q, %v", got, err)
	}
}

// An app from NewApp returns a usage error, exit status 2, for a flag it
// does not know, pointing at --help, and returns (not exits on) the
// errors of its action.
func TestNewApp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	app := NewApp("prog", "1.2.3", &stdout, &stderr)
	app.Flags = []cli.Flag{&cli.BoolFlag{Name: "known"}}
	app.Action = func(*cli.Context) error { return cli.Exit("prog: failed", 3) }

	err := app.Run([]string{"prog", "-nosuch"})
	if got := ExitStatus("prog", err, &stderr); got != 2 || !strings.Contains(stderr.String(), "prog: flag provided but not defined: -nosuch (see prog --help)") {
		t.Errorf("unknown flag: exit %d, stderr %q", got, stderr.String())
	}
	if got := ExitStatus("prog", app.Run([]string{"prog", "-known"}), &stderr); got != 3 {
		t.Errorf("failing action: exit %d, want its own 3", got)
	}
	stdout.Reset()
	if err := app.Run([]string{"prog", "--version"}); err != nil || !strings.Contains(stdout.String(), "1.2.3") {
		t.Errorf("--version: %v, stdout %q", err, stdout.String())
	}
	stdout.Reset()
	if err := app.Run([]string{"prog", "--help"}); err != nil || strings.Contains(stdout.String(), "help, h  Shows a list of commands") {
		t.Errorf("--help lists a help command: %v\n%s", err, stdout.String())
	}
}
