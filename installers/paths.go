package installers

import (
	"fmt"
	"path/filepath"
)

// UnitPath returns the file that Install writes for spec: for systemd
// /etc/systemd/system/NAME.service, or ~/.config/systemd/user/NAME.service
// for a user service; for launchd /Library/LaunchDaemons/NAME.plist, or
// ~/Library/LaunchAgents/NAME.plist. These are the paths kardianos uses.
// With spec.Root set the same path is returned below Root. Windows
// services and machines without a supported manager have no unit file and
// return an error.
func UnitPath(spec Spec) (string, error) {
	s, err := spec.normalize()
	if err != nil {
		return "", fmt.Errorf("finding unit path: %w", err)
	}
	m := sys.manager()
	if s.Root != "" {
		m = sys.fileManager()
	}
	return unitPath(s, m)
}

// unitPath is UnitPath for a normalized spec and a chosen manager.
func unitPath(s Spec, m manager) (string, error) {
	var p string
	switch m {
	case managerSystemd:
		p = filepath.Join("/etc/systemd/system", s.Name+".service")
		if s.User {
			home, err := sys.homeDir()
			if err != nil {
				return "", fmt.Errorf("finding home directory: %w", err)
			}
			p = filepath.Join(home, ".config/systemd/user", s.Name+".service")
		}
	case managerLaunchd:
		p = filepath.Join("/Library/LaunchDaemons", s.Name+".plist")
		if s.User {
			home, err := sys.homeDir()
			if err != nil {
				return "", fmt.Errorf("finding home directory: %w", err)
			}
			p = filepath.Join(home, "Library/LaunchAgents", s.Name+".plist")
		}
	case managerWindows:
		return "", &userError{msg: "Windows services have no unit file", kind: ErrUnsupported}
	default:
		return "", errNoServiceManager(s)
	}
	if s.Root != "" {
		p = filepath.Join(s.Root, p)
	}
	return p, nil
}

// renderUnit renders the unit file for manager m.
func renderUnit(s Spec, m manager) (string, error) {
	switch m {
	case managerSystemd:
		return renderSystemdUnit(s)
	case managerLaunchd:
		return renderLaunchdPlist(s)
	}
	return "", &userError{msg: fmt.Sprintf("%s has no unit file to render", m), kind: ErrUnsupported}
}
