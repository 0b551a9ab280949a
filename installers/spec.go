package installers

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Status values returned by Status.
const (
	StatusRunning      = "running"
	StatusStopped      = "stopped"
	StatusNotInstalled = "not installed"
	StatusUnknown      = "unknown"
)

// DefaultStopTimeout is how long Run waits for the run function to return
// after the service manager asked it to stop, when Spec.StopTimeout is zero.
// It is well below systemd's default TimeoutStopSec (90s) so our own error
// is what gets logged, not a SIGKILL.
const DefaultStopTimeout = 15 * time.Second

// Spec describes one service. The same Spec must be passed to Install and
// later to Uninstall, Start, Stop, Restart and Status, since Name and User
// decide where the service lives.
type Spec struct {
	// Name is the service name (systemd unit NAME.service, launchd label,
	// Windows service name), e.g. "ts-unplug". Letters, digits, '.', '_'
	// and '-' only, starting with a letter or digit.
	Name string
	// DisplayName is the human-readable name (Windows service list).
	DisplayName string
	// Description is one line of text shown by the service manager.
	// Defaults to DisplayName, then Name.
	Description string
	// Executable is the absolute path of the binary to run. Empty means
	// os.Executable(). A relative path is made absolute against the
	// current directory.
	Executable string
	// Arguments are the run flags, exactly what the foreground command
	// would get. The service manager starts the binary in a different
	// working directory, so callers must make paths (the state dir)
	// absolute before installing.
	Arguments []string
	// User installs a per-user service (systemd --user unit or launchd
	// agent) instead of a system one; it needs no root. Windows has no
	// per-user services and fails with ErrNoUserService. Under sudo it
	// fails too, since it would reach root's manager. A systemd user
	// service only runs while the user is logged in unless lingering is
	// enabled (see InstallNotes).
	User bool
	// Env holds extra environment variables for the service. They are
	// written into the unit file, which is world-readable (0644): do not
	// put secrets such as TS_AUTHKEY here, use EnvFile instead.
	Env map[string]string
	// EnvFile is an optional absolute path of a KEY=VALUE file the service
	// manager loads at start (systemd EnvironmentFile=, missing file
	// ignored), so secrets stay out of the unit. systemd only; other
	// platforms fail with ErrUnsupported.
	EnvFile string
	// RunAs is the user account a system service runs as (systemd User=,
	// launchd UserName); empty means the manager's default, root. ts-unplug
	// sets it to the user who ran `sudo ts-unplug install`, so the service
	// is the device that user already logged in, with the state directory
	// they own. Not for per-user services, which run as their user anyway,
	// nor Windows (ErrUnsupported).
	RunAs string
	// Root, when set, is prefixed to every path (like DESTDIR) and
	// switches Install/Uninstall/Status to writing, removing and checking
	// the unit file only, without kardianos or any service manager. Start,
	// Stop and Restart fail in that mode. For packaging and tests.
	Root string
	// StopTimeout bounds how long Run waits for the run function to return
	// once asked to stop. Zero means DefaultStopTimeout.
	StopTimeout time.Duration
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
var validEnvKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validAccount is a user name (or numeric id) that systemd's User= and
// launchd's UserName take as is: no spaces, quotes or specifiers.
var validAccount = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$`)

// normalize validates s and fills in defaults: Executable (os.Executable,
// made absolute), Description and StopTimeout. It never touches the
// caller's slices or maps.
func (s Spec) normalize() (Spec, error) {
	if s.Name == "" {
		return s, fmt.Errorf("service name is empty")
	}
	if !validName.MatchString(s.Name) {
		return s, fmt.Errorf("invalid service name %q: use letters, digits, '.', '_' and '-' only", s.Name)
	}
	if s.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return s, fmt.Errorf("finding this program's path: %w", err)
		}
		s.Executable = exe
	}
	if !filepath.IsAbs(s.Executable) {
		abs, err := filepath.Abs(s.Executable)
		if err != nil {
			return s, fmt.Errorf("making executable path %q absolute: %w", s.Executable, err)
		}
		s.Executable = abs
	}
	if s.Description == "" {
		s.Description = s.DisplayName
	}
	if s.Description == "" {
		s.Description = s.Name
	}
	for _, a := range s.Arguments {
		if strings.ContainsRune(a, 0) {
			return s, fmt.Errorf("argument %q contains a NUL byte", a)
		}
	}
	for k, v := range s.Env {
		if strings.ContainsRune(v, 0) {
			return s, fmt.Errorf("environment variable %s contains a NUL byte", k)
		}
		if !validEnvKey.MatchString(k) {
			return s, fmt.Errorf("invalid environment variable name %q", k)
		}
	}
	if s.EnvFile != "" && !filepath.IsAbs(s.EnvFile) {
		return s, fmt.Errorf("environment file %q must be an absolute path", s.EnvFile)
	}
	if s.RunAs != "" && s.User {
		return s, fmt.Errorf("a per-user service runs as its user; RunAs %q is only for system services", s.RunAs)
	}
	if s.RunAs != "" && !validAccount.MatchString(s.RunAs) {
		return s, fmt.Errorf("invalid account name %q to run the service as", s.RunAs)
	}
	if s.Root != "" {
		abs, err := filepath.Abs(s.Root)
		if err != nil {
			return s, fmt.Errorf("making root %q absolute: %w", s.Root, err)
		}
		s.Root = abs
	}
	if s.StopTimeout <= 0 {
		s.StopTimeout = DefaultStopTimeout
	}
	return s, nil
}

// foregroundCommand is the shell command that runs the same thing in the
// foreground, for error messages: the binary's base name and its
// arguments, quoted for a POSIX shell where needed.
func (s Spec) foregroundCommand() string {
	words := []string{filepath.Base(s.Executable)}
	for _, a := range s.Arguments {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// shellQuote returns a as one POSIX shell word.
func shellQuote(a string) string {
	if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == "" {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
