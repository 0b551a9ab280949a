package servicecmd

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd/servicecmdtest"
	"github.com/urfave/cli/v2"
)

func TestControls(t *testing.T) {
	running := servicecmdtest.Unit{State: installers.StatusRunning}
	tests := []struct {
		name      string
		units     map[string]servicecmdtest.Unit
		args      []string
		err       error
		wantCode  int
		wantCalls []string
		wantOut   string
	}{
		{name: "start the system service", units: map[string]servicecmdtest.Unit{"system/p": running}, args: []string{"start"},
			wantCalls: []string{"start system/p"}, wantOut: "prog: start p done"},
		{name: "stop the per-user one without --user", units: map[string]servicecmdtest.Unit{"user/p": running}, args: []string{"stop"},
			wantCalls: []string{"stop user/p"}, wantOut: "prog: stop p done"},
		{name: "restart --user with both", units: map[string]servicecmdtest.Unit{"system/p": running, "user/p": running}, args: []string{"restart", "--user"},
			wantCalls: []string{"restart user/p"}, wantOut: "restart p done"},
		{name: "nothing installed", args: []string{"start"}, wantCode: 1,
			wantOut: "prog: start: no system or per-user service p is installed (`prog install` sets one up)"},
		{name: "nothing installed, --user", units: map[string]servicecmdtest.Unit{"system/p": running}, args: []string{"stop", "--user"}, wantCode: 1,
			wantOut: "no per-user service p is installed"},
		{name: "an argument", units: map[string]servicecmdtest.Unit{"system/p": running}, args: []string{"start", "now"}, wantCode: 2,
			wantOut: "prog: start takes no arguments"},
		{name: "manager error", units: map[string]servicecmdtest.Unit{"system/p": running}, args: []string{"restart"},
			err: errors.New("restarting a system service needs root"), wantCode: 1,
			wantCalls: []string{"restart system/p"}, wantOut: "needs root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &servicecmdtest.Fake{Units: tt.units, Err: tt.err}
			p := Program{Name: "prog", Manager: m, ServiceName: func(*cli.Context) (string, error) { return "p", nil }}
			var buf bytes.Buffer
			out, code := runCommands(&buf, p.Controls(&buf), tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("%q: exit %d, output %q; want exit %d and %q", tt.args, code, out, tt.wantCode, tt.wantOut)
			}
			if !slices.Equal(m.Calls(), tt.wantCalls) {
				t.Errorf("%q: manager calls %q, want %q", tt.args, m.Calls(), tt.wantCalls)
			}
		})
	}
}

func TestUninstall(t *testing.T) {
	m := &servicecmdtest.Fake{Units: map[string]servicecmdtest.Unit{"user/p": {State: installers.StatusStopped}}}
	p := Program{Name: "p", Manager: m}
	after := func(s Service) string { return "its state directory is kept" }
	var buf bytes.Buffer
	out, code := runCommands(&buf, []*cli.Command{p.Uninstall(&buf, after)}, "uninstall")
	if code != 0 || !strings.Contains(out, "p: removed per-user service p; its state directory is kept") {
		t.Errorf("uninstall: exit %d, %q", code, out)
	}
	// --root needs no service manager: the file below DIR is removed.
	buf.Reset()
	out, code = runCommands(&buf, []*cli.Command{p.Uninstall(&buf, nil)}, "uninstall", "--root", "/pkg")
	want := []string{"uninstall user/p", "uninstall system/p below /pkg"}
	if code != 0 || !slices.Equal(m.Calls(), want) {
		t.Errorf("uninstall --root: exit %d %q, calls %q, want %q", code, out, m.Calls(), want)
	}
}

func TestStateDirKept(t *testing.T) {
	m := &servicecmdtest.Fake{Units: map[string]servicecmdtest.Unit{
		"system/p": {State: installers.StatusRunning, Installed: installers.Installed{Arguments: []string{"-dir", "/var/lib/p", "-verbose"}}},
		"user/p":   {State: installers.StatusRunning},
	}}
	p := Program{Name: "p", Manager: m}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"uninstall"}, "p: removed system service p; its state directory /var/lib/p is kept, and the device stays in the tailnet's admin console\n"},
		{[]string{"uninstall", "--user"}, "p: removed per-user service p; its state directory is kept\n"},
	} {
		var buf bytes.Buffer
		out, code := runCommands(&buf, []*cli.Command{p.Uninstall(&buf, StateDirKept("dir"))}, tt.args...)
		if code != 0 || out != tt.want {
			t.Errorf("%q: exit %d, %q; want %q", tt.args, code, out, tt.want)
		}
	}
}
