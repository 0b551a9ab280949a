package installers

import (
	"os"
	"os/signal"
	"os/user"
	"runtime"

	"github.com/kardianos/service"
)

// manager is a service manager this package supports.
type manager int

const (
	managerNone    manager = iota // anything else: upstart, SysV, OpenRC, none
	managerSystemd                // Linux systemd
	managerLaunchd                // macOS launchd
	managerWindows                // Windows service control manager
)

// String names the manager for messages.
func (m manager) String() string {
	switch m {
	case managerSystemd:
		return "systemd"
	case managerLaunchd:
		return "launchd"
	case managerWindows:
		return "Windows SCM"
	}
	return "none"
}

// backend is everything this package asks of the machine. The package
// variable sys is the real one; tests replace it so nothing touches the
// real service manager or the real privilege level.
type backend struct {
	// goos is runtime.GOOS; it picks the unit format in Root mode and the
	// wording of privilege errors.
	goos string
	// platform is kardianos' detected system, e.g. "linux-systemd".
	platform string
	// newService is service.New.
	newService func(service.Interface, *service.Config) (service.Service, error)
	// interactive is service.Interactive: false under a service manager.
	interactive func() bool
	// privileged reports whether system services can be managed without
	// asking (root on Unix). On Windows it is always true and the SCM's
	// access-denied error is mapped instead.
	privileged func() bool
	// sudoUser is $SUDO_USER: set when running under sudo.
	sudoUser func() string
	// lookupUser is user.Lookup: the account behind $SUDO_USER.
	lookupUser func(name string) (*user.User, error)
	// homeDir is the home directory kardianos uses for user services on
	// this platform.
	homeDir func() (string, error)
	// notify is signal.Notify.
	notify func(c chan<- os.Signal, sig ...os.Signal)
	// exit is os.Exit; used when a Windows service's run function returns
	// on its own, so the SCM sees a failure and restarts it.
	exit func(code int)
}

// sys is the backend in use.
var sys = realBackend()

func realBackend() backend {
	b := backend{
		goos:        runtime.GOOS,
		platform:    service.Platform(),
		newService:  service.New,
		interactive: service.Interactive,
		privileged:  func() bool { return runtime.GOOS == "windows" || os.Geteuid() == 0 },
		sudoUser:    func() string { return os.Getenv("SUDO_USER") },
		lookupUser:  user.Lookup,
		homeDir:     os.UserHomeDir,
		notify:      signal.Notify,
		exit:        os.Exit,
	}
	if runtime.GOOS == "darwin" {
		// Mirror kardianos' launchd code, which prefers the user database
		// over $HOME.
		b.homeDir = func() (string, error) {
			if u, err := user.Current(); err == nil && u.HomeDir != "" {
				return u.HomeDir, nil
			}
			return os.UserHomeDir()
		}
	}
	return b
}

// manager returns the supported manager kardianos detected, or managerNone.
func (b backend) manager() manager {
	switch b.platform {
	case "linux-systemd":
		return managerSystemd
	case "darwin-launchd":
		return managerLaunchd
	case "windows-service":
		return managerWindows
	}
	return managerNone
}

// fileManager is the unit format used in Root mode, chosen by OS alone
// since no service manager is involved: launchd on macOS, none on Windows
// (its services are registry entries, not files), systemd elsewhere.
func (b backend) fileManager() manager {
	switch b.goos {
	case "darwin":
		return managerLaunchd
	case "windows":
		return managerWindows
	}
	return managerSystemd
}
