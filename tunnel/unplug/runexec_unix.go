//go:build unix

package unplug

import (
	"fmt"
	"syscall"

	"github.com/urfave/cli/v2"
)

// execToolOS replaces ts-unplug with the tool. Nothing of ts-unplug's is
// left to clean up (no temporary files: every setting is in the
// environment or on the command line), and the tool then is the process
// the shell started: Ctrl-C, SIGTERM, job control and the exit status are
// its own, with no forwarding that could deliver a signal twice.
func execToolOS(path string, argv, env []string) error {
	err := syscall.Exec(path, argv, env)
	return cli.Exit(fmt.Sprintf("ts-unplug: cannot start %s: %v", path, err), 1)
}
