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
