package unplug

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// Main runs ts-unplug with args (os.Args) and returns the exit status:
// 0 clean, 1 runtime failure, 2 bad usage.
func Main(args []string, version string, stdout, stderr io.Writer) int {
	app := newApp(version, stdout, stderr)
	err := app.Run(args)
	return tunnel.ExitStatus("ts-unplug", err, stderr)
}

func newApp(version string, stdout, stderr io.Writer) *cli.App {
	rootFlag := &cli.StringFlag{Name: "root", Usage: "write or remove the service file under `DIR` instead of / (packaging, inspection); nothing is started or stopped"}
	serviceFlags := append(runFlags(),
		&cli.BoolFlag{Name: "user", Usage: "per-user service (systemd --user, launchd agent) instead of a system one"},
		rootFlag)
	ctlFlags := []cli.Flag{
		&cli.BoolFlag{Name: "user", Usage: "the per-user service"},
	}
	return &cli.App{
		Name:      "ts-unplug",
		Usage:     "reach a tailnet service from a machine that is not on the tailnet",
		UsageText: "ts-unplug [flags] TARGET\n   ts-unplug install [flags] TARGET\n   ts-unplug status|start|stop|restart|uninstall [--user]\n\nTARGET is host[:port] or a URL: ai, ai.example.ts.net, http://ai:8080, https://ai.example.ts.net",
		Description: "ts-unplug joins the tailnet as its own device and forwards http://127.0.0.1:9996 to TARGET.\n" +
			"The first run prints a login URL (or waits for an admin to approve the device);\n" +
			"after that every tool on this machine can use http://localhost:9996.\n\n" +
			"On a shared machine: every local process, of any user, can use the tunnel and reaches the tailnet\n" +
			"as this device, by design (a local proxy has no way to tell local users apart); run it only where\n" +
			"you trust them. Web pages in a browser are refused (Host, Origin and Sec-Fetch-Site checks).\n" +
			"The login URL is never in an HTTP answer: it is in the log and in `ts-unplug status`, whose\n" +
			"socket only this user can open. Tailscale-* headers from local clients, in any spelling,\n" +
			"are removed in every spelling before a request goes on into the tailnet.",
		Version:         version,
		Writer:          stdout,
		ErrWriter:       stderr,
		Flags:           runFlags(),
		HideHelpCommand: true,
		// Main maps errors to exit codes itself; cli's default would
		// os.Exit from inside Run (and kill an in-process caller).
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError("%v (see ts-unplug --help)", err)
		},
		Action: func(c *cli.Context) error {
			o, err := parseOptions(c, true)
			if err != nil {
				return err
			}
			return installers.Run(serviceSpec(o, false), func(ctx context.Context) error {
				return run(ctx, o, version)
			})
		},
		Commands: []*cli.Command{
			{
				Name: "install", Usage: "install ts-unplug as a service that starts at boot (same flags as a run)",
				ArgsUsage: "TARGET", Flags: serviceFlags,
				OnUsageError: func(c *cli.Context, err error, _ bool) error { return usageError("install: %v", err) },
				Action:       func(c *cli.Context) error { return install(c, stdout) },
			},
			{Name: "uninstall", Usage: "stop and remove the service", Flags: append(ctlFlags, rootFlag),
				Action: func(c *cli.Context) error { return control(c, stdout, "uninstall", installers.Uninstall) }},
			{Name: "start", Usage: "start the installed service", Flags: ctlFlags,
				Action: func(c *cli.Context) error { return control(c, stdout, "start", installers.Start) }},
			{Name: "stop", Usage: "stop the installed service", Flags: ctlFlags,
				Action: func(c *cli.Context) error { return control(c, stdout, "stop", installers.Stop) }},
			{Name: "restart", Usage: "restart the installed service", Flags: ctlFlags,
				Action: func(c *cli.Context) error { return control(c, stdout, "restart", installers.Restart) }},
			{Name: "status", Usage: "show the state of the running ts-unplug (service or foreground)",
				Flags: append(ctlFlags,
					&cli.StringFlag{Name: "dir", Usage: "state `DIR` of the instance (default: as a run would pick)"},
					&cli.StringFlag{Name: "hostname", Usage: "tailnet device `NAME` of the instance, to find its default state dir"},
					&cli.BoolFlag{Name: "json", Usage: "print the raw JSON status"}),
				Action: func(c *cli.Context) error { return status(c, stdout) }},
		},
	}
}

// serviceSpec is the OS service that runs ts-unplug with o.
func serviceSpec(o options, user bool) installers.Spec {
	return installers.Spec{
		Name:        "ts-unplug",
		DisplayName: "ts-unplug",
		Description: "ts-unplug: local proxy to " + o.target.String() + " over the tailnet",
		User:        user,
	}
}

func install(c *cli.Context, stdout io.Writer) error {
	o, err := parseOptions(c, true)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	args := serviceArgs(c, o)
	keyArg, err := tunnel.ServiceAuthKey(o.dir, o.authKeyFlag)
	if err != nil {
		return err
	}
	args = tunnel.ReplaceFlag(args, "authkey", keyArg)
	spec := serviceSpec(o, c.Bool("user"))
	spec.Arguments = args
	spec.Root = c.String("root")
	if started, err := installers.InstallAndStart(spec, "ts-unplug", stdout); err != nil || !started {
		return err
	}
	fmt.Fprintf(stdout, "started. Next: `ts-unplug status%s` shows the login URL or approval step; then use http://%s\n", userFlag(c), o.listen)
	return nil
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

func control(c *cli.Context, stdout io.Writer, verb string, f func(installers.Spec) error) error {
	if c.NArg() > 0 {
		return usageError("%s takes no arguments", verb)
	}
	spec := installers.Spec{Name: "ts-unplug", User: c.Bool("user")}
	if c.IsSet("root") {
		spec.Root = c.String("root")
	}
	if err := f(spec); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ts-unplug: %s done\n", verb)
	return nil
}

func status(c *cli.Context, stdout io.Writer) error {
	hostname := c.String("hostname")
	if hostname == "" {
		hostname = defaultHostname()
	}
	dir, err := tunnel.StateDir("ts-unplug", c.String("dir"), hostname)
	if err != nil {
		return usageError("%v", err)
	}
	svc, svcErr := installers.Status(installers.Spec{Name: "ts-unplug", User: c.Bool("user")})
	if svcErr != nil || svc == installers.StatusNotInstalled {
		svc = ""
	}
	raw, err := tunnel.FetchStatusFor(c.Context, "ts-unplug", dir, svc, stdout)
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
	tunnel.PrintState(stdout, svc, r.State)
	fmt.Fprintf(stdout, "forwarding:  %s %s -> %s\n", r.Mode, r.Listen, r.Target)
	fmt.Fprintf(stdout, "served:      %d requests, %d bytes in, %d bytes out, %d TCP connections\n",
		r.Served.Requests, r.Served.BytesIn, r.Served.BytesOut, r.Served.TCPConns)
	fmt.Fprintf(stdout, "running:     pid %d since %s (ts-unplug %s)\n", r.PID, r.Started, r.Version)
	return nil
}
