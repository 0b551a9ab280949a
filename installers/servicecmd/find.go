package servicecmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tsplug/ts-plug/installers"
	"github.com/urfave/cli/v2"
)

// Service is an installed service, as status reports it.
type Service struct {
	Spec  installers.Spec // Name and User: where it lives
	State string          // an installers.Status* value
	// StateErr says why State is unknown, when the manager said.
	StateErr error
	// Installed is what the unit file runs; ReadErr says why it is empty
	// (Windows services have no unit file to read).
	Installed installers.Installed
	ReadErr   error
}

// Find looks for the installed service name: only the per-user one when
// user is set; otherwise the system one, then the per-user one, so that
// neither `sudo … install` nor `install --user` leaves a service that
// `status` without flags does not see. ok is false when none is
// installed (or there is no service manager).
func Find(m Manager, name string, user bool) (Service, bool) {
	kinds := []bool{false, true}
	if user {
		kinds = []bool{true}
	}
	for _, u := range kinds {
		spec := installers.Spec{Name: name, User: u}
		st, err := m.Status(spec)
		if st == installers.StatusNotInstalled || errors.Is(err, installers.ErrNoServiceManager) ||
			errors.Is(err, installers.ErrNoUserService) || errors.Is(err, installers.ErrNotInstalled) {
			continue
		}
		svc := Service{Spec: spec, State: st, StateErr: err}
		svc.Installed, svc.ReadErr = m.ReadInstalled(spec)
		return svc, true
	}
	return Service{}, false
}

// Find is Find for the service the command c names (--user and
// ServiceName).
func (p Program) Find(c *cli.Context) (Service, bool, error) {
	name, err := p.serviceName(c)
	if err != nil {
		return Service{}, false, err
	}
	svc, ok := Find(p.Manager, name, c.Bool("user"))
	return svc, ok, nil
}

// Kind is "system service" or "per-user service".
func (s Service) Kind() string {
	if s.Spec.User {
		return "per-user service"
	}
	return "system service"
}

// Line is what status prints after "service:", e.g. "running (system
// service ts-unplug, runs as alice)".
func (s Service) Line() string {
	var b strings.Builder
	b.WriteString(s.State)
	if s.StateErr != nil {
		fmt.Fprintf(&b, ": %v", s.StateErr)
	}
	fmt.Fprintf(&b, " (%s %s", s.Kind(), s.Spec.Name)
	if s.Installed.RunAs != "" {
		fmt.Fprintf(&b, ", runs as %s", s.Installed.RunAs)
	}
	b.WriteString(")")
	return b.String()
}

// Flag returns the value the service was installed with for the flag
// name ("-name V", "--name V", "-name=V" or "--name=V"; the last one
// wins, as in flag parsing; nothing after "--" counts). Only for flags
// that take a value.
func (s Service) Flag(name string) (string, bool) {
	return FlagValue(s.Installed.Arguments, name)
}

// FlagValue is Service.Flag for any argument list.
func FlagValue(args []string, name string) (string, bool) {
	val, found := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		bare := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if bare == a {
			continue
		}
		if v, ok := strings.CutPrefix(bare, name+"="); ok {
			val, found = v, true
		} else if bare == name && i+1 < len(args) {
			val, found = args[i+1], true
			i++
		}
	}
	return val, found
}
