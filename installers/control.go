package installers

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/kardianos/service"
)

// Install registers spec with the service manager so it starts at boot (or
// at login for a per-user service); it does not start it now. On systemd
// and launchd it writes the unit from RenderSystemdUnit/RenderLaunchdPlist
// through kardianos (which also runs `systemctl enable` and
// `daemon-reload` on systemd); on Windows kardianos creates the service
// with restart-on-failure recovery. If the unit file was written but the
// manager then failed, the file is removed again.
//
// With spec.Root set, Install only writes the unit file below Root.
func Install(spec Spec) error {
	s, err := spec.normalize()
	if err != nil {
		return fmt.Errorf("installing service: %w", err)
	}
	if s.Root != "" {
		return installRoot(s)
	}
	m, err := check("installing", s, true)
	if err != nil {
		return err
	}
	path, err := existingUnit(s, m)
	if err == nil && path != "" {
		return errAlreadyInstalled(s, path, nil)
	}
	if err != nil && !errors.Is(err, ErrNotInstalled) {
		return err
	}
	svc, err := newService(s, m, true)
	if err != nil {
		return mapError("installing", s, m, err)
	}
	if err := svc.Install(); err != nil {
		if path, _ := unitPath(s, m); m != managerWindows && path != "" {
			os.Remove(path) // do not leave a half-installed unit behind
		}
		return mapError("installing", s, m, err)
	}
	return nil
}

// Uninstall stops the service if it is running and removes it from the
// service manager (on systemd: disable, delete the unit, daemon-reload).
//
// With spec.Root set, Uninstall only removes the unit file below Root.
func Uninstall(spec Spec) error {
	s, err := spec.normalize()
	if err != nil {
		return fmt.Errorf("uninstalling service: %w", err)
	}
	if s.Root != "" {
		return uninstallRoot(s)
	}
	m, err := check("uninstalling", s, true)
	if err != nil {
		return err
	}
	if _, err := existingUnit(s, m); err != nil {
		return err
	}
	svc, err := newService(s, m, false)
	if err != nil {
		return mapError("uninstalling", s, m, err)
	}
	if st, err := svc.Status(); err == nil && st == service.StatusRunning {
		_ = svc.Stop() // best effort: Uninstall below reports real trouble
	}
	return mapError("uninstalling", s, m, svc.Uninstall())
}

// Start asks the service manager to start the installed service.
func Start(spec Spec) error {
	return control("starting", spec, service.Service.Start)
}

// Stop asks the service manager to stop the service. It returns once the
// manager has acted; under Run the program then gets spec.StopTimeout to
// finish.
func Stop(spec Spec) error {
	return control("stopping", spec, service.Service.Stop)
}

// Restart asks the service manager to stop and start the service, e.g.
// after the binary was upgraded in place.
func Restart(spec Spec) error {
	return control("restarting", spec, service.Service.Restart)
}

// control runs action on the installed service s; op names it in errors.
func control(op string, spec Spec, action func(service.Service) error) error {
	s, err := spec.normalize()
	if err != nil {
		return fmt.Errorf("%s service: %w", op, err)
	}
	if s.Root != "" {
		return &userError{
			msg:  fmt.Sprintf("%s service %s: it was installed below %s, which no service manager manages", op, s.Name, s.Root),
			kind: ErrUnsupported,
		}
	}
	m, err := check(op, s, true)
	if err != nil {
		return err
	}
	if _, err := existingUnit(s, m); err != nil {
		return err
	}
	svc, err := newService(s, m, false)
	if err != nil {
		return mapError(op, s, m, err)
	}
	return mapError(op, s, m, action(svc))
}

// Status reports StatusRunning, StatusStopped or StatusNotInstalled, else
// StatusUnknown, with an error saying why when there is one (e.g. a
// systemd unit in the failed state, or no service manager). It needs no
// root. With
// spec.Root set it only checks for the unit file: StatusNotInstalled if
// missing, StatusUnknown (and no error) if present.
func Status(spec Spec) (string, error) {
	s, err := spec.normalize()
	if err != nil {
		return StatusUnknown, fmt.Errorf("checking service: %w", err)
	}
	if s.Root != "" {
		return statusRoot(s)
	}
	m, err := check("checking", s, false)
	if err != nil {
		return StatusUnknown, err
	}
	if _, err := existingUnit(s, m); errors.Is(err, ErrNotInstalled) {
		return StatusNotInstalled, nil
	} else if err != nil {
		return StatusUnknown, err
	}
	svc, err := newService(s, m, false)
	if err != nil {
		return StatusUnknown, mapError("checking", s, m, err)
	}
	st, err := svc.Status()
	switch {
	case err == nil && st == service.StatusRunning:
		return StatusRunning, nil
	case err == nil && st == service.StatusStopped:
		return StatusStopped, nil
	case err == nil:
		return StatusUnknown, nil
	case errors.Is(err, service.ErrNotInstalled):
		return StatusNotInstalled, nil
	case m == managerSystemd && strings.Contains(err.Error(), "failed state"):
		return StatusUnknown, fmt.Errorf("service %s has failed (it kept exiting and systemd stopped restarting it); see `%s` and `%s`",
			s.Name, systemctlCommand(s, "status"), journalCommand(s))
	}
	mapped := mapError("checking", s, m, err)
	if errors.Is(mapped, ErrNotInstalled) {
		return StatusNotInstalled, nil
	}
	return StatusUnknown, mapped
}

// InstallNotes returns advice to print after a successful Install of spec,
// one sentence per entry; it may be empty.
func InstallNotes(spec Spec) []string {
	s, err := spec.normalize()
	if err != nil {
		return nil
	}
	var notes []string
	m := sys.manager()
	if s.Root != "" {
		m = sys.fileManager()
		if path, err := unitPath(s, m); err == nil {
			notes = append(notes, fmt.Sprintf("wrote %s; nothing was enabled or started: the service manager on the target machine must load it", path))
		}
	}
	switch {
	case s.User && m == managerSystemd:
		notes = append(notes, "a per-user service runs only while you are logged in; to start it at boot and keep it running after logout, run `loginctl enable-linger $USER`")
		notes = append(notes, "logs: `"+journalCommand(s)+"`")
	case m == managerSystemd:
		notes = append(notes, "logs: `"+journalCommand(s)+"`")
	case s.User && m == managerLaunchd:
		notes = append(notes, "a launchd agent runs only while you are logged in")
	}
	if len(s.Env) > 0 && m != managerWindows {
		notes = append(notes, "environment variables are stored in a world-readable unit file; keep secrets such as TS_AUTHKEY out of them")
	}
	return notes
}

// journalCommand is the journalctl command showing s's logs.
func journalCommand(s Spec) string {
	if s.User {
		return "journalctl --user -u " + s.Name
	}
	return "journalctl -u " + s.Name
}

// check verifies that op can be done for s here: a supported manager, a
// per-user service only where one exists and not under sudo (it would
// land in root's service manager), and (when priv is set, for a system
// service on Unix) root.
func check(op string, s Spec, priv bool) (manager, error) {
	m := sys.manager()
	if m == managerNone {
		return m, errNoServiceManager(s)
	}
	if s.User && m == managerWindows {
		return m, errNoUserService("Windows")
	}
	if s.User && m != managerWindows && sys.privileged() && sys.sudoUser() != "" {
		return m, &userError{
			msg:  fmt.Sprintf("%s a per-user service under sudo would act on root's services, not %s's: run it without sudo", op, sys.sudoUser()),
			kind: ErrUnsupported,
		}
	}
	if priv && !s.User && !sys.privileged() {
		return m, errNotPrivileged(op, sys.goos, nil)
	}
	return m, nil
}

// existingUnit returns the unit file path of s when it exists, an error
// matching ErrNotInstalled when it does not, and "" for Windows, whose
// services are not files (kardianos reports on those itself).
func existingUnit(s Spec, m manager) (string, error) {
	if m == managerWindows {
		return "", nil
	}
	path, err := unitPath(s, m)
	if err != nil {
		return "", err
	}
	_, err = os.Stat(path)
	switch {
	case err == nil:
		return path, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", errNotInstalled(s, err)
	}
	return "", fmt.Errorf("checking %s: %w", path, err)
}

// nopProgram is the service.Interface used when only controlling a
// service, never running it.
type nopProgram struct{}

func (nopProgram) Start(service.Service) error { return nil }
func (nopProgram) Stop(service.Service) error  { return nil }

// newService builds the kardianos service for s on manager m. With
// install set it renders the unit and passes it as kardianos' custom
// template, so kardianos writes exactly our text.
func newService(s Spec, m manager, install bool) (service.Service, error) {
	c, err := kardianosConfig(s, m, install)
	if err != nil {
		return nil, err
	}
	return sys.newService(nopProgram{}, c)
}

// kardianosConfig translates s into a kardianos config for manager m.
func kardianosConfig(s Spec, m manager, install bool) (*service.Config, error) {
	c := &service.Config{
		Name:        s.Name,
		DisplayName: s.DisplayName,
		Description: s.Description,
		Executable:  s.Executable,
		Arguments:   slices.Clone(s.Arguments),
		EnvVars:     maps.Clone(s.Env),
		Option:      service.KeyValue{},
	}
	if s.User {
		c.Option["UserService"] = true
	}
	if !install {
		return c, nil
	}
	switch m {
	case managerSystemd, managerLaunchd:
		unit, err := renderUnit(s, m)
		if err != nil {
			return nil, err
		}
		opt := "SystemdScript"
		if m == managerLaunchd {
			opt = "LaunchdConfig"
		}
		c.Option[opt] = templateLiteral(unit)
	case managerWindows:
		if s.RunAs != "" {
			return nil, &userError{msg: "running a Windows service as another account is not supported; it runs as LocalSystem", kind: ErrUnsupported}
		}
		if s.EnvFile != "" {
			return nil, &userError{msg: "environment files are not supported for Windows services; use environment variables instead", kind: ErrUnsupported}
		}
		c.Option["OnFailure"] = "restart"
		c.Option["OnFailureDelayDuration"] = fmt.Sprintf("%ds", SystemdRestartSec)
	}
	return c, nil
}

// templateLiteral returns a text/template source that renders exactly
// text: kardianos parses custom unit text as a template, so every "{{"
// (which could come from an argument) is emitted through an action.
func templateLiteral(text string) string {
	return strings.ReplaceAll(text, "{{", `{{"{{"}}`)
}

// InstallAndStart installs spec and starts it, telling the user on out
// what it did and what to check (journal command, lingering for user
// services). With spec.Root set it only writes the file. prog names the
// program in the messages.
func InstallAndStart(spec Spec, prog string, out io.Writer) (started bool, err error) {
	if err := Install(spec); err != nil {
		return false, err
	}
	fmt.Fprintf(out, "installed service %s: %s %s\n", spec.Name, prog, strings.Join(spec.Arguments, " "))
	if spec.Root != "" {
		p, _ := UnitPath(spec)
		fmt.Fprintf(out, "wrote %s (not started: --root)\n", p)
		return false, nil
	}
	for _, n := range InstallNotes(spec) {
		fmt.Fprintln(out, n)
	}
	if err := Start(spec); err != nil {
		return false, fmt.Errorf("installed, but starting failed: %w", err)
	}
	return true, nil
}
