// Package servicecmd is the service subcommands that ts-unplug, ts-plug
// and aperture share, so that the three behave alike: start, stop,
// restart and uninstall, and the lookup `status` makes to find an
// installed service (system or per-user) and the flags it was installed
// with, which say where its state directory is.
package servicecmd

import (
	"fmt"

	"github.com/tsplug/ts-plug/installers"
	"github.com/urfave/cli/v2"
)

// Manager is what these commands ask of the service manager. System is
// the real one; tests use fakes.
type Manager interface {
	Status(installers.Spec) (string, error)
	ReadInstalled(installers.Spec) (installers.Installed, error)
	Start(installers.Spec) error
	Stop(installers.Spec) error
	Restart(installers.Spec) error
	Uninstall(installers.Spec) error
}

// System is the machine's service manager, through package installers.
var System Manager = system{}

type system struct{}

func (system) Status(s installers.Spec) (string, error) { return installers.Status(s) }
func (system) ReadInstalled(s installers.Spec) (installers.Installed, error) {
	return installers.ReadInstalled(s)
}
func (system) Start(s installers.Spec) error     { return installers.Start(s) }
func (system) Stop(s installers.Spec) error      { return installers.Stop(s) }
func (system) Restart(s installers.Spec) error   { return installers.Restart(s) }
func (system) Uninstall(s installers.Spec) error { return installers.Uninstall(s) }

// Program is one binary's view of its service.
type Program struct {
	// Name is the binary, e.g. "ts-unplug": it starts every message.
	Name    string
	Manager Manager
	// ServiceName gives the service a command acts on from its flags
	// (ts-plug's is ts-plug-<hostname>); nil means Name.
	ServiceName func(*cli.Context) (string, error)
	// Flags are added to every command, for ServiceName.
	Flags []cli.Flag
}

// UsageError is a bad flag or argument of p: exit status 2.
func (p Program) UsageError(format string, args ...any) error {
	return cli.Exit(p.Name+": "+fmt.Sprintf(format, args...), 2)
}

// UserFlag is the --user flag of every service command.
func UserFlag() cli.Flag {
	return &cli.BoolFlag{Name: "user", Usage: "the per-user service (default: the system one, else the per-user one)"}
}

func (p Program) serviceName(c *cli.Context) (string, error) {
	if p.ServiceName == nil {
		return p.Name, nil
	}
	return p.ServiceName(c)
}
