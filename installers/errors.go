package installers

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kardianos/service"
)

// Sentinel errors, for errors.Is. The errors actually returned carry a
// full user-facing message; these only classify them.
var (
	// ErrNotPrivileged: a system service needs root (Administrator on
	// Windows).
	ErrNotPrivileged = errors.New("not privileged")
	// ErrNoServiceManager: this machine has none of systemd, launchd or
	// the Windows SCM.
	ErrNoServiceManager = errors.New("no supported service manager")
	// ErrAlreadyInstalled: Install found the service already installed.
	ErrAlreadyInstalled = errors.New("service already installed")
	// ErrNotInstalled: the service is not installed.
	ErrNotInstalled = errors.New("service not installed")
	// ErrNoUserService: the platform has no per-user services (Windows).
	ErrNoUserService = errors.New("per-user services not supported")
	// ErrUnsupported: a Spec feature this platform or mode cannot do.
	ErrUnsupported = errors.New("not supported")
)

// userError is an error whose message is written for the person at the
// terminal; Is matches its sentinel and Unwrap exposes the cause.
type userError struct {
	msg   string
	kind  error // one of the sentinels
	cause error // the underlying error, may be nil
}

func (e *userError) Error() string        { return e.msg }
func (e *userError) Is(target error) bool { return target == e.kind }
func (e *userError) Unwrap() error        { return e.cause }

// errNotPrivileged explains that op (a gerund: "installing") on a system
// service needs root, naming the per-user alternative where there is one.
func errNotPrivileged(op, goos string, cause error) error {
	msg := op + " a system service needs root: run with sudo, or use --user for a per-user service"
	if goos == "windows" {
		msg = op + " a service needs Administrator rights: run from an elevated (Run as administrator) prompt"
	}
	return &userError{msg: msg, kind: ErrNotPrivileged, cause: cause}
}

// errNoServiceManager tells the user to run s in the foreground instead.
func errNoServiceManager(s Spec) error {
	return &userError{
		msg: fmt.Sprintf("no supported service manager (systemd, launchd, Windows SCM) found on this machine; run `%s` in the foreground instead",
			s.foregroundCommand()),
		kind: ErrNoServiceManager,
	}
}

// errAlreadyInstalled names where the existing service lives, if known.
func errAlreadyInstalled(s Spec, where string, cause error) error {
	msg := fmt.Sprintf("service %s is already installed", s.Name)
	if where != "" {
		msg += " (" + where + ")"
	}
	msg += "; uninstall it first to change its settings"
	return &userError{msg: msg, kind: ErrAlreadyInstalled, cause: cause}
}

// errNotInstalled says the service s is not installed.
func errNotInstalled(s Spec, cause error) error {
	kind := "system"
	if s.User {
		kind = "per-user"
	}
	return &userError{msg: fmt.Sprintf("%s service %s is not installed", kind, s.Name), kind: ErrNotInstalled, cause: cause}
}

// errNoUserService explains that goos has no per-user services.
func errNoUserService(goos string) error {
	return &userError{
		msg:  fmt.Sprintf("per-user services are not supported on %s; install a system service instead (without --user)", goos),
		kind: ErrNoUserService,
	}
}

// mapError turns an error from kardianos (or the service manager it ran)
// into one of the user-facing errors above when it recognises it, and
// otherwise wraps it with the operation and, for systemd, where to look.
// op is a gerund ("installing"); m the manager in use.
func mapError(op string, s Spec, m manager, err error) error {
	if err == nil {
		return nil
	}
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	text := err.Error()
	switch {
	case errors.Is(err, fs.ErrPermission),
		strings.Contains(text, "Access is denied"),
		strings.Contains(text, "Interactive authentication required"):
		return errNotPrivileged(op, sys.goos, err)
	case errors.Is(err, service.ErrNoServiceSystemDetected):
		return errNoServiceManager(s)
	case errors.Is(err, service.ErrNotInstalled),
		strings.Contains(text, "is not installed"),
		strings.Contains(text, "does not exist as an installed service"):
		return errNotInstalled(s, err)
	case strings.Contains(text, "already exists"):
		return errAlreadyInstalled(s, "", err)
	}
	if m == managerSystemd {
		return fmt.Errorf("%s service %s: %w (for details run `%s`)", op, s.Name, err, systemctlCommand(s, "status"))
	}
	return fmt.Errorf("%s service %s: %w", op, s.Name, err)
}

// systemctlCommand is the systemctl command line for verb on s, for hints.
func systemctlCommand(s Spec, verb string) string {
	if s.User {
		return "systemctl --user " + verb + " " + s.Name
	}
	return "systemctl " + verb + " " + s.Name
}
