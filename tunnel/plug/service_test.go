package plug

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd/servicecmdtest"
	"github.com/urfave/cli/v2"
)

// runWith runs ts-plug with args against the fake service manager m and
// returns the exit status and everything printed.
func runWith(m *servicecmdtest.Fake, args ...string) (int, string) {
	var out bytes.Buffer
	app := newAppWith("test", nil, &out, &out, m)
	err := app.Run(append([]string{"ts-plug"}, args...))
	code := 0
	if ec, ok := err.(cli.ExitCoder); ok {
		code = ec.ExitCode()
	} else if err != nil {
		code = 1
	}
	if err != nil {
		fmt.Fprintln(&out, err)
	}
	return code, out.String()
}

func TestServiceCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "llm")
	perUser := map[string]servicecmdtest.Unit{"user/ts-plug-llm": {
		State:     installers.StatusRunning,
		Installed: installers.Installed{Arguments: []string{"-dir", dir, "-hostname", "llm"}},
	}}
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantCalls []string
		wantOut   []string
	}{
		{name: "start finds the per-user service without --user", args: []string{"start", "-hostname", "llm"},
			wantCalls: []string{"start user/ts-plug-llm"}, wantOut: []string{"ts-plug: start ts-plug-llm done"}},
		{name: "stop of a server that is not installed", args: []string{"stop", "-hostname", "other"}, wantCode: 1,
			wantOut: []string{"no system or per-user service ts-plug-other is installed"}},
		{name: "restart without -hostname", args: []string{"restart"}, wantCode: 2,
			wantOut: []string{"ts-plug: restart: missing -hostname"}},
		{name: "uninstall keeps the state dir", args: []string{"uninstall", "-hostname", "llm"},
			wantCalls: []string{"uninstall user/ts-plug-llm"},
			wantOut:   []string{"ts-plug: removed per-user service ts-plug-llm; its state directory " + dir + " is kept"}},
		{name: "status reads the installed service's state dir", args: []string{"status", "-hostname", "llm"}, wantCode: 1,
			wantOut: []string{"service: running (per-user service ts-plug-llm)", "not running with state dir " + dir}},
		{name: "status without -hostname or -dir", args: []string{"status"}, wantCode: 2,
			wantOut: []string{"missing -hostname", "or give -dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &servicecmdtest.Fake{Units: perUser}
			code, out := runWith(m, tt.args...)
			if code != tt.wantCode {
				t.Errorf("%q: exit %d, want %d\n%s", tt.args, code, tt.wantCode, out)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("%q: output lacks %q:\n%s", tt.args, want, out)
				}
			}
			if !slices.Equal(m.Calls(), tt.wantCalls) {
				t.Errorf("%q: manager calls %q, want %q", tt.args, m.Calls(), tt.wantCalls)
			}
		})
	}
}
