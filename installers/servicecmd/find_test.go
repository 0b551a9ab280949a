package servicecmd

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd/servicecmdtest"
)

func TestFind(t *testing.T) {
	system := servicecmdtest.Unit{State: installers.StatusRunning, Installed: installers.Installed{Arguments: []string{"-dir", "/sys"}, RunAs: "alice"}}
	user := servicecmdtest.Unit{State: installers.StatusStopped, Installed: installers.Installed{Arguments: []string{"-dir", "/usr"}}}
	tests := []struct {
		name     string
		units    map[string]servicecmdtest.Unit
		user     bool
		wantOK   bool
		wantUser bool
		wantDir  string
	}{
		{name: "none", units: nil},
		{name: "system only", units: map[string]servicecmdtest.Unit{"system/p": system}, wantOK: true, wantDir: "/sys"},
		{name: "per-user only, found without --user", units: map[string]servicecmdtest.Unit{"user/p": user}, wantOK: true, wantUser: true, wantDir: "/usr"},
		{name: "both: the system one", units: map[string]servicecmdtest.Unit{"system/p": system, "user/p": user}, wantOK: true, wantDir: "/sys"},
		{name: "both, --user", units: map[string]servicecmdtest.Unit{"system/p": system, "user/p": user}, user: true, wantOK: true, wantUser: true, wantDir: "/usr"},
		{name: "system only, --user", units: map[string]servicecmdtest.Unit{"system/p": system}, user: true},
		{name: "other name", units: map[string]servicecmdtest.Unit{"system/q": system}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, ok := Find(&servicecmdtest.Fake{Units: tt.units}, "p", tt.user)
			if ok != tt.wantOK {
				t.Fatalf("Find ok = %v, want %v (%+v)", ok, tt.wantOK, svc)
			}
			if !ok {
				return
			}
			dir, _ := svc.Flag("dir")
			if svc.Spec.Name != "p" || svc.Spec.User != tt.wantUser || dir != tt.wantDir {
				t.Errorf("found %+v (dir %q), want user %v dir %q", svc, dir, tt.wantUser, tt.wantDir)
			}
		})
	}
}

// Without a service manager (a container, an unsupported init system)
// nothing is installed, rather than an error on every status.
func TestFindNoServiceManager(t *testing.T) {
	m := &servicecmdtest.Fake{Units: map[string]servicecmdtest.Unit{
		"system/p": {State: installers.StatusUnknown, StateErr: fmt.Errorf("x: %w", installers.ErrNoServiceManager)},
		"user/p":   {State: installers.StatusUnknown, StateErr: fmt.Errorf("x: %w", installers.ErrNoServiceManager)},
	}}
	if svc, ok := Find(m, "p", false); ok {
		t.Errorf("found %+v on a machine without a service manager", svc)
	}
}

func TestServiceLine(t *testing.T) {
	tests := []struct {
		svc  Service
		want string
	}{
		{Service{Spec: installers.Spec{Name: "ts-unplug"}, State: "running", Installed: installers.Installed{RunAs: "alice"}},
			"running (system service ts-unplug, runs as alice)"},
		{Service{Spec: installers.Spec{Name: "ts-unplug", User: true}, State: "stopped"},
			"stopped (per-user service ts-unplug)"},
		{Service{Spec: installers.Spec{Name: "aperture"}, State: "unknown", StateErr: errors.New("service aperture has failed")},
			"unknown: service aperture has failed (system service aperture)"},
	}
	for _, tt := range tests {
		if got := tt.svc.Line(); got != tt.want {
			t.Errorf("Line() = %q, want %q", got, tt.want)
		}
	}
}

func TestFlagValue(t *testing.T) {
	tests := []struct {
		args   []string
		name   string
		want   string
		wantOK bool
	}{
		{[]string{"-dir", "/a", "ai"}, "dir", "/a", true},
		{[]string{"--dir", "/a"}, "dir", "/a", true},
		{[]string{"-dir=/a b"}, "dir", "/a b", true},
		{[]string{"--state-dir=/x", "--state-dir", "/y"}, "state-dir", "/y", true},
		{[]string{"-dir"}, "dir", "", false},
		{[]string{"-hostname", "dir", "ai"}, "dir", "", false},
		{[]string{"-directory", "/a"}, "dir", "", false},
		{[]string{"dir", "/a"}, "dir", "", false},
		{[]string{"-hostname", "x", "--", "-dir", "/a"}, "dir", "", false},
		{nil, "dir", "", false},
	}
	for _, tt := range tests {
		got, ok := FlagValue(tt.args, tt.name)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("FlagValue(%q, %q) = %q, %v; want %q, %v", tt.args, tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
