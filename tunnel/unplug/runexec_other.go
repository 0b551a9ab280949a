//go:build !unix

package unplug

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"

	"github.com/urfave/cli/v2"
)

// execToolOS runs the tool as a child where a process cannot be replaced
// (Windows). Ctrl-C reaches every process on the console, the tool
// included, so ts-unplug only ignores it and waits for the tool, whose
// exit status it then exits with.
func execToolOS(path string, argv, env []string) error {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return cli.Exit("", ee.ExitCode())
	}
	return cli.Exit(fmt.Sprintf("ts-unplug: cannot start %s: %v", path, err), 1)
}
