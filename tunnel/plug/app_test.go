package plug

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

func runMain(args ...string) (int, string) {
	var out bytes.Buffer
	code := Main(append([]string{"ts-plug"}, args...), "test", &out, &out)
	return code, out.String()
}

// parse runs the app's flag parsing only and returns the options.
func parse(t *testing.T, args ...string) (options, error) {
	t.Helper()
	var got options
	var perr error
	flags, command := splitCommand(append([]string{"ts-plug"}, args...))
	app := newApp("test", command, &bytes.Buffer{}, &bytes.Buffer{})
	app.Action = func(c *cli.Context) error {
		got, perr = parseOptions(c, command)
		return nil
	}
	if err := app.Run(flags); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return got, perr
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		args         []string
		flags, after string
	}{
		{[]string{"ts-plug", "-hostname", "x"}, "ts-plug -hostname x", ""},
		{[]string{"ts-plug", "-hostname", "x", "--", "status", "--", "-v"}, "ts-plug -hostname x", "status -- -v"},
		{[]string{"ts-plug", "--"}, "ts-plug", ""},
	}
	for _, tt := range tests {
		f, c := splitCommand(tt.args)
		if strings.Join(f, " ") != tt.flags || strings.Join(c, " ") != tt.after {
			t.Errorf("splitCommand(%q) = %q, %q", tt.args, f, c)
		}
	}
}

func TestParseOptions(t *testing.T) {
	dir := t.TempDir()
	o, err := parse(t, "-hostname", "llm", "-dir", dir, "-https", "-caps-prefix", "example.com/cap/",
		"-response-header-timeout", "5m", "-stop-grace", "3s", "--", "llama-server", "--port", "8080")
	if err != nil {
		t.Fatal(err)
	}
	if o.hostname != "llm" || o.dir != dir || !o.https || o.funnel {
		t.Errorf("options %+v", o)
	}
	if strings.Join(o.command, " ") != "llama-server --port 8080" {
		t.Errorf("command %q", o.command)
	}
	if o.timeouts.ResponseHeader != 5*time.Minute || o.stopGrace != 3*time.Second || o.shutdownGrace != 15*time.Second {
		t.Errorf("timeouts %+v stop %v shutdown %v", o.timeouts, o.stopGrace, o.shutdownGrace)
	}
	if len(o.capsPrefixes) != 1 || len(o.mappings) != 2 || o.mappings[0].Port != 443 {
		t.Errorf("caps %q mappings %v", o.capsPrefixes, o.mappings)
	}

	// Without "--" the positional arguments are the command.
	o, err = parse(t, "-hostname", "web", "-dir", dir, "python3", "-m", "http.server")
	if err != nil || strings.Join(o.command, " ") != "python3 -m http.server" {
		t.Errorf("positional command %q, %v", o.command, err)
	}
	// -funnel implies -https.
	if o, err = parse(t, "-hostname", "web", "-dir", dir, "-funnel"); err != nil || !o.https || !o.funnel {
		t.Errorf("-funnel: https %v funnel %v err %v", o.https, o.funnel, err)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "-hostname"},
		{[]string{"-hostname", "my.llm"}, "-hostname"},
		{[]string{"-hostname", "-bad"}, "-hostname"},
		{[]string{"-hostname", "llm", "-dir", dir, "-upstream", "ftp://x"}, "-upstream"},
		{[]string{"-hostname", "llm", "-dir", dir, "-http", "80"}, "-http"},
		{[]string{"-hostname", "llm", "-dir", dir, "-tcp", "22=nohost"}, "-tcp"},
		{[]string{"-hostname", "llm", "-dir", dir, "-http", "80=9000", "-upstream", "9001"}, "already served"},
		{[]string{"-hostname", "llm", "-dir", dir, "-advertise-tags", "llm"}, "tag:"},
		{[]string{"-hostname", "llm", "-dir", dir, "-caps-prefix", ""}, "-caps-prefix"},
		{[]string{"-hostname", "llm", "-dir", dir, "-stop-grace", "-1s"}, "-stop-grace"},
		{[]string{"-hostname", "llm", "-dir", dir, "-nosuchflag"}, "nosuchflag"},
		{[]string{"-hostname", "llm", "-dir", dir, "cmd", "--", "other"}, "before --"},
		{[]string{"stop"}, "-hostname"},
		{[]string{"stop", "-hostname", "llm", "extra"}, "no arguments"},
		{[]string{"status"}, "-hostname"},
		{[]string{"install", "--root", dir}, "-hostname"},
		{[]string{"install", "--root", dir, "-hostname", "llm", "--", "no-such-command-ts-plug"}, "COMMAND"},
	}
	for _, tt := range tests {
		code, out := runMain(tt.args...)
		if code != 2 || !strings.Contains(out, tt.want) {
			t.Errorf("%q: exit %d, want 2 and %q in:\n%s", tt.args, code, tt.want, out)
		}
	}
	if code, out := runMain("--version"); code != 0 || !strings.Contains(out, "ts-plug") {
		t.Errorf("--version: %d %s", code, out)
	}
}

func TestInstallWritesUnitWithCommand(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(t.TempDir(), "state")
	code, out := runMain("install", "--root", root, "-hostname", "llm", "-dir", state,
		"-authkey", "tskey-auth-SECRET", "-upstream", "11434", "-caps-prefix", "example.com/cap/",
		"--", "sh", "-c", "exec server --port $PORT")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	unitPath := filepath.Join(root, "etc/systemd/system/ts-plug-llm.service")
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatalf("unit not written: %v\n%s", err, out)
	}
	u := string(unit)
	for _, want := range []string{
		"-hostname llm", "-upstream 11434", "-caps-prefix example.com/cap/",
		"-authkey file:" + state + "/authkey",
		" -- /", // the command after --, pinned to an absolute path
		"/sh -c",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "SECRET") || strings.Contains(out, "SECRET") {
		t.Errorf("the auth key leaked into the unit or output:\n%s\n%s", u, out)
	}
	if code, out := runMain("uninstall", "--root", root, "-hostname", "llm"); code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(unitPath); !os.IsNotExist(err) {
		t.Errorf("unit still there after uninstall: %v", err)
	}
}
