package servicecmd

import (
	"fmt"
	"io"

	"github.com/tsplug/ts-plug/installers"
	"github.com/urfave/cli/v2"
)

// Controls returns p's start, stop and restart subcommands. Each acts on
// the service Find picks, so a per-user install needs --user only when a
// system one of the same name exists too.
func (p Program) Controls(stdout io.Writer) []*cli.Command {
	verbs := []struct {
		name, usage string
		act         func(Manager, installers.Spec) error
	}{
		{"start", "start the installed service", Manager.Start},
		{"stop", "stop the installed service", Manager.Stop},
		{"restart", "restart the installed service (after an upgrade, say)", Manager.Restart},
	}
	var cmds []*cli.Command
	for _, v := range verbs {
		cmds = append(cmds, &cli.Command{
			Name: v.name, Usage: v.usage,
			Flags: append([]cli.Flag{UserFlag()}, p.Flags...),
			Action: func(c *cli.Context) error {
				svc, err := p.installed(c, v.name)
				if err != nil {
					return err
				}
				if err := v.act(p.Manager, svc.Spec); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s: %s %s done\n", p.Name, v.name, svc.Spec.Name)
				return nil
			},
		})
	}
	return cmds
}

// Uninstall returns p's uninstall subcommand; after, if set, adds to
// what it prints (where the state directory is kept).
func (p Program) Uninstall(stdout io.Writer, after func(Service) string) *cli.Command {
	rootFlag := &cli.StringFlag{Name: "root", Usage: "remove the service file under `DIR` instead of / (packaging); nothing is stopped"}
	return &cli.Command{
		Name: "uninstall", Usage: "stop and remove the service (its state directory is kept)",
		Flags: append([]cli.Flag{UserFlag(), rootFlag}, p.Flags...),
		Action: func(c *cli.Context) error {
			var svc Service
			if c.IsSet("root") {
				if c.NArg() > 0 {
					return p.UsageError("uninstall takes no arguments")
				}
				name, err := p.serviceName(c)
				if err != nil {
					return err
				}
				svc.Spec = installers.Spec{Name: name, User: c.Bool("user"), Root: c.String("root")}
			} else {
				var err error
				if svc, err = p.installed(c, "uninstall"); err != nil {
					return err
				}
			}
			if err := p.Manager.Uninstall(svc.Spec); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: removed %s %s", p.Name, svc.Kind(), svc.Spec.Name)
			if after != nil {
				if s := after(svc); s != "" {
					fmt.Fprintf(stdout, "; %s", s)
				}
			}
			fmt.Fprintln(stdout)
			return nil
		},
	}
}

// StateDirKept is the after of an Uninstall for a binary whose state
// directory is its flag named flag: it says where that directory is, from
// the flags the service was installed with, and that it is kept along
// with the tailnet device it holds.
func StateDirKept(flag string) func(Service) string {
	return func(svc Service) string {
		if dir, ok := svc.Flag(flag); ok {
			return "its state directory " + dir + " is kept, and the device stays in the tailnet's admin console"
		}
		return "its state directory is kept"
	}
}

// installed is the service a control command named verb acts on.
func (p Program) installed(c *cli.Context, verb string) (Service, error) {
	if c.NArg() > 0 {
		return Service{}, p.UsageError("%s takes no arguments", verb)
	}
	svc, ok, err := p.Find(c)
	if err != nil {
		return Service{}, err
	}
	if !ok {
		kind := "system or per-user"
		if c.Bool("user") {
			kind = "per-user"
		}
		name, _ := p.serviceName(c)
		return Service{}, cli.Exit(fmt.Sprintf("%s: %s: no %s service %s is installed (`%s install` sets one up)",
			p.Name, verb, kind, name, p.Name), 1)
	}
	return svc, nil
}
