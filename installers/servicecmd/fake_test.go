package servicecmd

import (
	"bytes"
	"fmt"

	"github.com/urfave/cli/v2"
)

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
