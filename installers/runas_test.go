package installers

import (
	"errors"
	"strings"
	"testing"
)

func TestRunAsInUnits(t *testing.T) {
	useFake(t, "darwin-launchd", true, &fakeService{})
	spec := Spec{Name: "ts-unplug", Executable: "/usr/local/bin/ts-unplug", RunAs: "alice"}
	unit, err := RenderSystemdUnit(spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := unitValue(t, unit, "User"); got != "alice" {
		t.Errorf("User=%s, want alice", got)
	}
	plist, err := RenderLaunchdPlist(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plist, "<key>UserName</key>\n\t<string>alice</string>\n") {
		t.Errorf("plist has no UserName alice:\n%s", plist)
	}
	// Without RunAs neither says anything: the manager's default, root.
	spec.RunAs = ""
	unit, _ = RenderSystemdUnit(spec)
	plist, _ = RenderLaunchdPlist(spec)
	if strings.Contains(unit, "User=") || strings.Contains(plist, "UserName") {
		t.Errorf("no RunAs, but the unit names a user:\n%s\n%s", unit, plist)
	}
}

func TestRunAsRefused(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"per-user service", Spec{Name: "x", Executable: "/bin/x", User: true, RunAs: "alice"}, "only for system services"},
		{"space", Spec{Name: "x", Executable: "/bin/x", RunAs: "al ice"}, "invalid account name"},
		{"newline", Spec{Name: "x", Executable: "/bin/x", RunAs: "alice\nExecStartPre=/bin/evil"}, "invalid account name"},
		{"specifier", Spec{Name: "x", Executable: "/bin/x", RunAs: "%u"}, "invalid account name"},
	}
	for _, tt := range tests {
		if _, err := RenderSystemdUnit(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}

	useFake(t, "windows-service", true, &fakeService{})
	err := Install(Spec{Name: "x", Executable: `C:\x.exe`, RunAs: "alice"})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("windows: err = %v, want ErrUnsupported", err)
	}
}
