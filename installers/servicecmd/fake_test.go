package servicecmd

import (
	"bytes"
	"fmt"

	"github.com/tsplug/ts-plug/installers"
	"github.com/urfave/cli/v2"
)

// fakeManager is a service manager holding the services in units, keyed
// by "system/NAME" or "user/NAME", and recording what it was asked.
type fakeManager struct {
	units map[string]fakeUnit
	calls []string
	err   error // returned by Start, Stop, Restart, Uninstall
}

type fakeUnit struct {
	state string
	err   error
	in    installers.Installed
}

func key(s installers.Spec) string {
	if s.User {
		return "user/" + s.Name
	}
	return "system/" + s.Name
}

func (f *fakeManager) Status(s installers.Spec) (string, error) {
	u, ok := f.units[key(s)]
	if !ok {
		return installers.StatusNotInstalled, nil
	}
	return u.state, u.err
}

func (f *fakeManager) ReadInstalled(s installers.Spec) (installers.Installed, error) {
	u, ok := f.units[key(s)]
	if !ok {
		return installers.Installed{}, fmt.Errorf("%s: %w", key(s), installers.ErrNotInstalled)
	}
	return u.in, nil
}

func (f *fakeManager) act(verb string, s installers.Spec) error {
	k := key(s)
	if s.Root != "" {
		k += " below " + s.Root
	}
	f.calls = append(f.calls, verb+" "+k)
	return f.err
}

func (f *fakeManager) Start(s installers.Spec) error     { return f.act("start", s) }
func (f *fakeManager) Stop(s installers.Spec) error      { return f.act("stop", s) }
func (f *fakeManager) Restart(s installers.Spec) error   { return f.act("restart", s) }
func (f *fakeManager) Uninstall(s installers.Spec) error { return f.act("uninstall", s) }

// runCommands runs args against an app made of cmds, which print to out,
// and returns all output and the exit code the binaries would give.
func runCommands(out *bytes.Buffer, cmds []*cli.Command, args ...string) (string, int) {
	app := &cli.App{Name: "prog", Writer: out, ErrWriter: out, Commands: cmds,
		ExitErrHandler: func(*cli.Context, error) {}}
	err := app.Run(append([]string{"prog"}, args...))
	code := 0
	if ec, ok := err.(cli.ExitCoder); ok {
		code = ec.ExitCode()
		fmt.Fprintln(out, err)
	} else if err != nil {
		code = 1
		fmt.Fprintln(out, err)
	}
	return out.String(), code
}
