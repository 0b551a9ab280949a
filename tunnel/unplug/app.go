package unplug

import (
	"context"
	"io"
	"runtime"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd"
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

// env is what ts-unplug's service commands use of the machine; tests
// replace it.
type env struct {
	services servicecmd.Manager
	// invoker is installers.SudoInvoker: the user behind sudo.
	invoker func() (installers.Account, bool, error)
	goos    string
	// hostsPath is the hosts file `hosts` and uninstall edit; "" is the
	// system's.
	hostsPath string
}

func systemEnv() env {
	return env{services: servicecmd.System, invoker: installers.SudoInvoker, goos: runtime.GOOS}
}

func (e env) program() servicecmd.Program {
	return servicecmd.Program{Name: "ts-unplug", Manager: e.services}
}

func newApp(version string, stdout, stderr io.Writer) *cli.App {
	return newAppWith(version, stdout, stderr, systemEnv())
}

func newAppWith(version string, stdout, stderr io.Writer, e env) *cli.App {
	rootFlag := &cli.StringFlag{Name: "root", Usage: "write or remove the service file under `DIR` instead of / (packaging, inspection); nothing is started or stopped"}
	serviceFlags := append(runFlags(),
		&cli.BoolFlag{Name: "user", Usage: "per-user service (systemd --user, launchd agent) instead of a system one"},
		rootFlag)
	app := tunnel.NewApp("ts-unplug", version, stdout, stderr)
	app.Usage = "reach a tailnet service from a machine that is not on the tailnet"
	app.UsageText = "ts-unplug [flags] TARGET\n   ts-unplug install [flags] TARGET\n   ts-unplug status|start|stop|restart|uninstall [--user]\n   ts-unplug run [--port N] -- claude|codex|gemini|opencode [ARGS...]\n   ts-unplug env [--shell sh|fish|powershell] [TOOL]\n   ts-unplug hosts [--remove]   (map the --https name to 127.0.0.1; sudo)\n\nTARGET is host[:port] or a URL: ai, ai.example.ts.net, http://ai:8080, https://ai.example.ts.net"
	app.Description = "ts-unplug joins the tailnet as its own device and forwards http://127.0.0.1:9996 to TARGET.\n" +
		"The first run prints a login URL (or waits for an admin to approve the device);\n" +
		"after that every tool on this machine can use http://localhost:9996. Once up it prints the\n" +
		"identity it runs as, which is who a gateway bills for requests through it.\n" +
		"`sudo ts-unplug install` keeps the device a foreground run logged in: the service uses your\n" +
		"state directory and runs as you, so `ts-unplug status` needs no sudo.\n\n" +
		"On a shared machine: every local process, of any user, can use the tunnel and reaches the tailnet\n" +
		"as this device, by design; run it only where you trust them. With --local-users (Linux) each\n" +
		"request also names the local user whose program sent it, from the kernel, so a gateway can tell\n" +
		"people apart on its ledger (never in what they may do).\n" +
		"Web pages in a browser are refused (Host, Origin and Sec-Fetch-Site checks).\n" +
		"The login URL is never in an HTTP answer: it is in the log and in `ts-unplug status`, whose\n" +
		"socket only this user can open. Tailscale-* headers from local clients, in any spelling,\n" +
		"are removed in every spelling before a request goes on into the tailnet."
	app.Flags = runFlags()
	app.Action = func(c *cli.Context) error {
		o, err := parseOptions(c, true)
		if err != nil {
			return err
		}
		return installers.Run(serviceSpec(o, false), func(ctx context.Context) error {
			return run(ctx, o, version)
		})
	}
	app.Commands = append([]*cli.Command{
		{
			Name: "install", Usage: "install ts-unplug as a service that starts at boot (same flags as a run), on the device a foreground run uses",
			ArgsUsage: "TARGET", Flags: serviceFlags,
			OnUsageError: func(c *cli.Context, err error, _ bool) error { return usageError("install: %v", err) },
			Action:       func(c *cli.Context) error { return install(c, stdout, e) },
		},
		e.program().Uninstall(stdout, func(svc servicecmd.Service) string {
			kept := servicecmd.StateDirKept("dir")(svc)
			if unmapped := unmapAfterUninstall(svc, e.hostsPath); unmapped != "" {
				kept = unmapped + "; " + kept
			}
			return kept
		}),
		{Name: "status", Usage: "show the state of the running ts-unplug: the installed service (system or per-user), else a foreground run",
			Flags: []cli.Flag{servicecmd.UserFlag(),
				&cli.StringFlag{Name: "dir", Usage: "state `DIR` of the instance (default: the installed service's, else as a run would pick)"},
				&cli.StringFlag{Name: "hostname", Usage: "tailnet device `NAME` of the instance, to find its default state dir"},
				&cli.BoolFlag{Name: "json", Usage: "print the raw JSON status"}},
			Action: func(c *cli.Context) error { return status(c, stdout, e) }},
		runToolCommand(stderr, e),
		envCommand(stdout, e),
		hostsCommand(stdout, e),
	}, e.program().Controls(stdout)...)
	return app
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
