package unplug

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// install sets up the service with the flags of a run, on the device
// chooseServiceState picks, and says which device that is and why.
func install(c *cli.Context, stdout io.Writer, e env) error {
	o, err := parseOptions(c, true)
	if err != nil {
		return err
	}
	var invoker *installers.Account
	if !c.Bool("user") {
		acct, ok, err := e.invoker()
		if err != nil {
			return err
		}
		if ok {
			invoker = &acct
		}
	}
	st := chooseServiceState(stateInputs{
		dirFlag: c.String("dir"), runDir: o.dir, hostname: o.hostname, userService: c.Bool("user"),
		goos: e.goos, invoker: invoker, ownerUID: ownerUIDOf,
	})
	dev, ok, err := readSavedDevice(st.dir)
	if err != nil {
		return err
	}
	if ok {
		st.device = &dev
	}
	if pid, running := runningInstance(c, st.dir); running {
		return fmt.Errorf("a ts-unplug (pid %d) is already running with the device state in %s: stop it first "+
			"(Ctrl-C, or `ts-unplug stop` for a service), then install again; one device cannot run twice", pid, st.dir)
	}
	o.dir = st.dir
	if err := mkdirOwned(o.dir, st.runAs); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	args := serviceArgs(c, o)
	keyArg, err := tunnel.ServiceAuthKey(o.dir, o.node.AuthKey)
	if err != nil {
		return err
	}
	if keyArg != o.node.AuthKey && st.runAs != nil {
		// ServiceAuthKey wrote the file as root; the service reads it as
		// the user.
		if err := os.Lchown(strings.TrimPrefix(keyArg, "file:"), st.runAs.UID, st.runAs.GID); err != nil {
			return fmt.Errorf("giving the auth key file to %s: %w", st.runAs.Name, err)
		}
	}
	args = tunnel.ReplaceFlag(args, "authkey", keyArg)
	spec := serviceSpec(o, c.Bool("user"))
	spec.Arguments = args
	spec.Root = c.String("root")
	if st.runAs != nil {
		spec.RunAs = st.runAs.Name
	}
	fmt.Fprintf(stdout, "ts-unplug: %s\n", st.describe(o.hostname, e.goos))
	if started, err := installers.InstallAndStart(spec, "ts-unplug", stdout); err != nil || !started {
		return err
	}
	statusCmd := "ts-unplug status" + userFlag(c)
	if st.runAs == nil && !c.Bool("user") && e.goos != "windows" {
		statusCmd = "sudo " + statusCmd
	}
	fmt.Fprintf(stdout, "started. Next: `%s` shows the login URL or approval step; then use http://%s\n", statusCmd, o.listen)
	if o.httpsListen != "" {
		hostsCmd := "ts-unplug hosts" + userFlag(c)
		mapAfterInstall(stdout, o.dir, o.hostsFile, 30*time.Second, hostsCmd)
	}
	return nil
}

// runningInstance reports the pid of a ts-unplug that answers on the
// status socket in dir.
func runningInstance(c *cli.Context, dir string) (int, bool) {
	raw, err := tunnel.FetchStatus(c.Context, filepath.Join(dir, tunnel.StatusSocketName))
	if err != nil {
		return 0, false
	}
	var r struct {
		PID int `json:"pid"`
	}
	json.Unmarshal(raw, &r)
	return r.PID, true
}

func userFlag(c *cli.Context) string {
	if c.Bool("user") {
		return " --user"
	}
	return ""
}

// serviceArgs rebuilds the run flags the user gave, with the state dir
// made absolute, for the service manager to pass.
func serviceArgs(c *cli.Context, o options) []string {
	args := append([]string{"-dir", o.dir}, tunnel.FlagArgs(c, runFlags(), "dir")...)
	return append(args, o.target.String())
}
