package unplug

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// status shows the running ts-unplug: the one at -dir, else the
// installed service's (system or per-user, whatever user asks: the unit
// file says where its state is), else the one a foreground run here
// would be.
func status(c *cli.Context, stdout io.Writer, e env) error {
	svc, installed, err := e.program().Find(c)
	if err != nil {
		return err
	}
	dir := c.String("dir")
	if dir == "" && installed {
		dir, _ = svc.Flag("dir")
	}
	if dir == "" {
		hostname := c.String("hostname")
		if hostname == "" {
			hostname = defaultHostname()
		}
		if dir, err = tunnel.StateDir("ts-unplug", "", hostname); err != nil {
			return usageError("%v", err)
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return usageError("-dir: %v", err)
	}
	line := ""
	if installed {
		line = svc.Line()
	}
	sock := filepath.Join(dir, tunnel.StatusSocketName)
	raw, err := tunnel.FetchStatus(c.Context, sock)
	if err != nil {
		if line != "" {
			fmt.Fprintf(stdout, "service:     %s\n", line)
		}
		if permissionDenied(sock) {
			owner := "another user"
			if installed && svc.Installed.RunAs != "" {
				owner = svc.Installed.RunAs
			} else if installed {
				owner = "root"
			}
			return cli.Exit(fmt.Sprintf("ts-unplug: the state dir %s belongs to %s, and its status (login URL included) is theirs alone: run `sudo ts-unplug status`", dir, owner), 1)
		}
		return cli.Exit(fmt.Sprintf("ts-unplug is not running with state dir %s (pass -dir if it uses another)", dir), 1)
	}
	if c.Bool("json") {
		stdout.Write(raw)
		return nil
	}
	var r statusReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("reading status: %w", err)
	}
	tunnel.PrintState(stdout, line, r.State)
	if r.Phase == tunnel.PhaseRunning {
		fmt.Fprintf(stdout, "billed to:   %s\n", r.Principal())
	}
	fmt.Fprintf(stdout, "forwarding:  %s %s -> %s\n", r.Mode, r.Listen, r.Target)
	if r.HTTPSListen != "" {
		fmt.Fprintf(stdout, "https:       %s\n", httpsStatusLine(r, e.hostsPath, hostsCommandFor(dir)))
	}
	fmt.Fprintf(stdout, "served:      %d requests, %d bytes in, %d bytes out, %d TCP connections\n",
		r.Served.Requests, r.Served.BytesIn, r.Served.BytesOut, r.Served.TCPConns)
	fmt.Fprintf(stdout, "running:     pid %d since %s (ts-unplug %s)\n", r.PID, r.Started, r.Version)
	fmt.Fprintf(stdout, "state dir:   %s\n", dir)
	return nil
}

// permissionDenied reports whether this user may not reach the socket at
// path (a state directory or socket that is another user's), as opposed
// to nothing listening there.
func permissionDenied(path string) bool {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrPermission) {
		return true
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
		return false
	}
	return errors.Is(err, fs.ErrPermission)
}
