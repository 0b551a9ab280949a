package plug

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// Main runs ts-plug with args (os.Args) and returns the exit status: 0
// clean, 1 runtime failure, 2 bad usage; with a COMMAND, the command's
// own status once it has exited.
func Main(args []string, version string, stdout, stderr io.Writer) int {
	flags, command := splitCommand(args)
	app := newApp(version, command, stdout, stderr)
	err := app.Run(flags)
	return tunnel.ExitStatus("ts-plug", err, stderr)
}

// splitCommand cuts args at the first "--": what follows is COMMAND ARGS,
// never parsed as flags or as a subcommand name.
func splitCommand(args []string) (flags, command []string) {
	for i, a := range args {
		if i > 0 && a == "--" {
			return args[:i], args[i+1:]
		}
	}
	return args, nil
}

func newApp(version string, command []string, stdout, stderr io.Writer) *cli.App {
	return newAppWith(version, command, stdout, stderr, servicecmd.System)
}

// hostnameFlag names the plugged server a service command acts on.
func hostnameFlag() cli.Flag {
	return &cli.StringFlag{Name: "hostname", Usage: "tailnet device `NAME` of the plugged server: its service is ts-plug-NAME (required)"}
}

// program is ts-plug's service as the shared service commands
// (installers/servicecmd) see it: one service per plugged server, named
// by -hostname.
func program(m servicecmd.Manager) servicecmd.Program {
	return servicecmd.Program{
		Name:    "ts-plug",
		Manager: m,
		ServiceName: func(c *cli.Context) (string, error) {
			h := c.String("hostname")
			if err := checkHostname(h); err != nil {
				return "", usageError("%s: %v", c.Command.Name, err)
			}
			return serviceName(h), nil
		},
		Flags: []cli.Flag{hostnameFlag()},
	}
}

// newAppWith is newApp with the service manager m (a fake in tests).
func newAppWith(version string, command []string, stdout, stderr io.Writer, m servicecmd.Manager) *cli.App {
	rootFlag := &cli.StringFlag{Name: "root", Usage: "write the service file under `DIR` instead of / (packaging, inspection); nothing is started"}
	userFlag := &cli.BoolFlag{Name: "user", Usage: "per-user service (systemd --user, launchd agent) instead of a system one"}
	p := program(m)
	app := tunnel.NewApp("ts-plug", version, stdout, stderr)
	app.Usage = "make a server on this machine its own tailnet device"
	app.UsageText = "ts-plug -hostname NAME [flags] [-- COMMAND ARGS...]\n" +
		"   ts-plug install -hostname NAME [flags] [-- COMMAND ARGS...]\n" +
		"   ts-plug status|start|stop|restart|uninstall -hostname NAME [--user]"
	app.Description = "ts-plug joins the tailnet as device NAME and serves a local server (-upstream, default\n" +
		DefaultUpstream + ") on tailnet port 80, so the tailnet reaches it at http://NAME.\n" +
		"Every request carries the caller's identity in Tailscale-User-*/Node-Name/Tags headers.\n" +
		"With -- COMMAND, ts-plug starts the server itself (its environment gets PORT,\n" +
		"TS_PLUG_HOSTNAME and TS_PLUG_URL), passes SIGINT/SIGTERM on to it, kills it after\n" +
		"-stop-grace, and exits with its exit status."
	app.Flags = runFlags()
	app.Action = func(c *cli.Context) error {
		o, err := parseOptions(c, command)
		if err != nil {
			return err
		}
		return installers.Run(serviceSpec(o, false), func(ctx context.Context) error {
			return run(ctx, o, version, stdout, stderr)
		})
	}
	app.Commands = append([]*cli.Command{
		{
			Name: "install", Usage: "install ts-plug as a service that starts at boot (same flags as a run)",
			ArgsUsage: "[-- COMMAND ARGS...]", Flags: append(runFlags(), userFlag, rootFlag),
			OnUsageError: func(c *cli.Context, err error, _ bool) error { return usageError("install: %v", err) },
			Action:       func(c *cli.Context) error { return install(c, command, stdout) },
		},
		p.Uninstall(stdout, servicecmd.StateDirKept("dir")),
		{Name: "status", Usage: "show the state of a running ts-plug: the installed service (system or per-user), else a foreground run",
			Flags: []cli.Flag{hostnameFlag(), servicecmd.UserFlag(),
				&cli.StringFlag{Name: "dir", Usage: "state `DIR` of the instance (default: the installed service's, else as a run with -hostname would pick)"},
				&cli.BoolFlag{Name: "json", Usage: "print the raw JSON status"}},
			Action: func(c *cli.Context) error { return status(c, p, stdout) }},
	}, p.Controls(stdout)...)
	return app
}

// serviceSpec is the OS service that runs ts-plug with o.
func serviceSpec(o options, user bool) installers.Spec {
	what := "plugs "
	if len(o.command) > 0 {
		what += filepath.Base(o.command[0]) + " "
	}
	return installers.Spec{
		Name:        serviceName(o.hostname),
		DisplayName: serviceName(o.hostname),
		Description: "ts-plug: " + what + "into the tailnet as device " + o.hostname,
		User:        user,
		StopTimeout: max(o.stopGrace, o.shutdownGrace) + installers.DefaultStopTimeout,
	}
}

func install(c *cli.Context, command []string, stdout io.Writer) error {
	o, err := parseOptions(c, command)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	if len(o.command) > 0 {
		// The service manager starts ts-plug elsewhere, with another
		// PATH: pin the command to the program found now.
		p, err := exec.LookPath(o.command[0])
		if err != nil {
			return usageError("install: COMMAND %q: %v", o.command[0], err)
		}
		if p, err = filepath.Abs(p); err != nil {
			return usageError("install: COMMAND %q: %v", o.command[0], err)
		}
		o.command = append([]string{p}, o.command[1:]...)
	}
	args := serviceArgs(c, o)
	keyArg, err := tunnel.ServiceAuthKey(o.dir, o.node.AuthKey)
	if err != nil {
		return err
	}
	args = tunnel.ReplaceFlag(args, "authkey", keyArg)
	spec := serviceSpec(o, c.Bool("user"))
	spec.Arguments = args
	spec.Root = c.String("root")
	if started, err := installers.InstallAndStart(spec, "ts-plug", stdout); err != nil || !started {
		return err
	}
	user := ""
	if c.Bool("user") {
		user = " --user"
	}
	fmt.Fprintf(stdout, "started. Next: `ts-plug status -hostname %s%s` shows the login URL or approval step; then the tailnet reaches it at http://%s\n",
		o.hostname, user, o.hostname)
	return nil
}

// serviceArgs rebuilds the run flags the user gave, with the state dir
// made absolute, and the command after "--", for the service manager.
func serviceArgs(c *cli.Context, o options) []string {
	args := append([]string{"-dir", o.dir}, tunnel.FlagArgs(c, runFlags(), "dir")...)
	if len(o.command) > 0 {
		args = append(append(args, "--"), o.command...)
	}
	return args
}

// status shows the running ts-plug: the one at -dir, else the one of the
// installed service for -hostname (system or per-user, as --user asks:
// the unit file says where its state is), else the one a foreground run
// with -hostname would be.
func status(c *cli.Context, p servicecmd.Program, stdout io.Writer) error {
	if c.NArg() > 0 {
		return usageError("status takes no arguments")
	}
	hostname, dir := c.String("hostname"), c.String("dir")
	if dir == "" {
		if err := checkHostname(hostname); err != nil {
			return usageError("status: %v (or give -dir)", err)
		}
	}
	var svc servicecmd.Service
	installed := false
	if checkHostname(hostname) == nil {
		var err error
		if svc, installed, err = p.Find(c); err != nil {
			return err
		}
	}
	if dir == "" && installed {
		dir, _ = svc.Flag("dir")
	}
	dir, err := tunnel.StateDir("ts-plug", dir, hostname)
	if err != nil {
		return usageError("%v", err)
	}
	line := ""
	if installed {
		line = svc.Line()
	}
	raw, err := tunnel.FetchStatusFor(c.Context, "ts-plug", dir, line, stdout)
	if err != nil {
		return err
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
	for _, s := range r.Serving {
		fmt.Fprintf(stdout, "serving:     %s\n", s)
	}
	ready := "no answer yet"
	if r.UpstreamReady {
		ready = "answering"
	}
	fmt.Fprintf(stdout, "local:       %s\n", ready)
	if r.Command != "" {
		fmt.Fprintf(stdout, "command:     %s (pid %d)\n", r.Command, r.CommandPID)
	}
	fmt.Fprintf(stdout, "served:      %d requests, %d bytes in, %d bytes out, %d TCP connections\n",
		r.Served.Requests, r.Served.BytesIn, r.Served.BytesOut, r.Served.TCPConns)
	fmt.Fprintf(stdout, "running:     pid %d since %s (ts-plug %s)\n", r.PID, r.Started, r.Version)
	return nil
}
