package installers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

func TestMapError(t *testing.T) {
	spec := Spec{Name: "ts-unplug", Executable: "/usr/bin/ts-unplug", Arguments: []string{"--dir", "/var/lib/ts unplug", "db:80"}}
	cause := errors.New("exit status 1")
	tests := []struct {
		name         string
		goos         string
		m            manager
		err          error
		wantIs       error
		wantContains []string
	}{
		{
			name:         "permission denied writing the unit",
			goos:         "linux",
			m:            managerSystemd,
			err:          &fs.PathError{Op: "open", Path: "/etc/systemd/system/ts-unplug.service", Err: os.ErrPermission},
			wantIs:       ErrNotPrivileged,
			wantContains: []string{"installing a system service needs root", "sudo", "--user"},
		},
		{
			name:         "polkit refusal",
			goos:         "linux",
			m:            managerSystemd,
			err:          errors.New("Interactive authentication required."),
			wantIs:       ErrNotPrivileged,
			wantContains: []string{"sudo"},
		},
		{
			name:         "windows access denied",
			goos:         "windows",
			m:            managerWindows,
			err:          errors.New("Access is denied."),
			wantIs:       ErrNotPrivileged,
			wantContains: []string{"Administrator"},
		},
		{
			name:         "no service system",
			goos:         "linux",
			m:            managerNone,
			err:          service.ErrNoServiceSystemDetected,
			wantIs:       ErrNoServiceManager,
			wantContains: []string{"systemd, launchd, Windows SCM", "run `ts-unplug --dir '/var/lib/ts unplug' db:80` in the foreground"},
		},
		{
			name:         "kardianos not installed",
			goos:         "linux",
			m:            managerSystemd,
			err:          service.ErrNotInstalled,
			wantIs:       ErrNotInstalled,
			wantContains: []string{"ts-unplug is not installed"},
		},
		{
			name:         "windows not installed",
			goos:         "windows",
			m:            managerWindows,
			err:          errors.New("The specified service does not exist as an installed service."),
			wantIs:       ErrNotInstalled,
			wantContains: []string{"not installed"},
		},
		{
			name:         "already exists",
			goos:         "windows",
			m:            managerWindows,
			err:          errors.New("service ts-unplug already exists"),
			wantIs:       ErrAlreadyInstalled,
			wantContains: []string{"already installed", "uninstall it first"},
		},
		{
			name:         "other systemd failure keeps cause and points at systemctl",
			goos:         "linux",
			m:            managerSystemd,
			err:          cause,
			wantIs:       cause,
			wantContains: []string{"installing service ts-unplug: exit status 1", "systemctl status ts-unplug"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := sys
			t.Cleanup(func() { sys = old })
			sys.goos = tt.goos
			got := mapError("installing", spec, tt.m, tt.err)
			if !errors.Is(got, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", got, tt.wantIs)
			}
			for _, s := range tt.wantContains {
				if !strings.Contains(got.Error(), s) {
					t.Errorf("error %q does not mention %q", got, s)
				}
			}
			if tt.wantIs != tt.err && !errors.Is(got, tt.err) && tt.err != service.ErrNoServiceSystemDetected {
				t.Errorf("cause %v lost from %v", tt.err, got)
			}
		})
	}
	if mapError("x", spec, managerSystemd, nil) != nil {
		t.Error("mapError(nil) != nil")
	}
}

func TestMapErrorKeepsUserErrors(t *testing.T) {
	orig := errNotInstalled(Spec{Name: "a"}, nil)
	wrapped := fmt.Errorf("context: %w", orig)
	if got := mapError("starting", Spec{Name: "a"}, managerSystemd, wrapped); got != wrapped {
		t.Errorf("mapError rewrapped an already user-facing error: %v", got)
	}
}

func TestUserServiceMessage(t *testing.T) {
	err := errNotInstalled(Spec{Name: "ts-plug", User: true}, nil)
	if err.Error() != "per-user service ts-plug is not installed" {
		t.Errorf("message = %q", err)
	}
}
