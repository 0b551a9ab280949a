package app

import (
	"fmt"
	"io"
	"os"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

func serviceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "user", Usage: "per-user service (systemd --user, launchd agent) instead of a system one"},
		&cli.StringFlag{Name: "root", Usage: "write or remove the service file under `DIR` instead of / (packaging); nothing is started"},
	}
}

func serviceSpec(c *cli.Context) installers.Spec {
	return installers.Spec{
		Name:        "aperture",
		DisplayName: "aperture",
		Description: "aperture: LLM gateway on the tailnet",
		User:        c.Bool("user"),
		Root:        c.String("root"),
	}
}

// install installs the gateway as a service running with the flags given
// here, its state directory and config made absolute, and a literal auth
// key kept in the state directory rather than in the unit file.
func install(c *cli.Context, version string, stdout io.Writer) error {
	if c.NArg() > 0 {
		return usageError("install: unexpected argument %q", c.Args().First())
	}
	o, err := parseOptions(c, version)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	args := append([]string{"--state-dir", o.stateDir, "--config", o.configPath},
		tunnel.FlagArgs(c, flags(), "state-dir", "config")...)
	keyArg, err := tunnel.ServiceAuthKey(o.stateDir, o.authKey)
	if err != nil {
		return err
	}
	args = tunnel.ReplaceFlag(args, "authkey", keyArg)
	spec := serviceSpec(c)
	spec.Arguments = args
	if started, err := installers.InstallAndStart(spec, "aperture", stdout); err != nil || !started {
		return err
	}
	fmt.Fprintf(stdout, "started. It joins the tailnet as %q; its config is %s\n", o.hostname, o.configPath)
	return nil
}

func uninstall(c *cli.Context, stdout io.Writer) error {
	if c.NArg() > 0 {
		return usageError("uninstall takes no arguments")
	}
	if err := installers.Uninstall(serviceSpec(c)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "aperture: service removed (its state directory is kept)")
	return nil
}
