package installers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

// TestRealKardianosSystemdUserService drives the real kardianos systemd
// code for a per-user service, with HOME in a temp dir and a fake
// systemctl first in PATH, so it proves kardianos writes exactly
// RenderSystemdUnit's text and runs the expected systemctl commands,
// without touching this machine's systemd.
func TestRealKardianosSystemdUserService(t *testing.T) {
	var systemd service.System
	for _, s := range service.AvailableSystems() {
		if s.String() == "linux-systemd" {
			systemd = s
		}
	}
	if systemd == nil {
		t.Skip("kardianos has no linux-systemd system")
	}
	home, bin := t.TempDir(), t.TempDir()
	log := filepath.Join(t.TempDir(), "systemctl.log")
	script := `#!/bin/sh
echo "$*" >> "` + log + `"
case "$1" in
is-active) echo inactive; exit 3;;
list-unit-files) echo "ts-unplug.service enabled"; exit 0;;
--version) echo "systemd 255"; exit 0;;
esac
exit 0
`
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("PATH", bin)

	old := sys
	t.Cleanup(func() { sys = old })
	sys.platform = systemd.String()
	sys.newService = systemd.New
	sys.homeDir = os.UserHomeDir
	sys.privileged = func() bool { return false }

	spec := Spec{
		Name:       "ts-unplug",
		Executable: "/opt/my tools/ts-unplug",
		Arguments:  []string{"--dir", home + "/state dir", "{{.Name}}", "50%"},
		User:       true,
		Env:        map[string]string{"TS_DEBUG": "1"},
	}
	if err := Install(spec); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ".config/systemd/user/ts-unplug.service")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := RenderSystemdUnit(spec)
	if string(got) != want {
		t.Errorf("kardianos wrote:\n%s\nwant:\n%s", got, want)
	}
	if st, err := Status(spec); err != nil || st != StatusStopped {
		t.Errorf("Status = %q, %v; want stopped", st, err)
	}
	if err := Start(spec); err != nil {
		t.Fatal(err)
	}
	if err := Uninstall(spec); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("unit still present after Uninstall: %v", err)
	}
	calls, _ := os.ReadFile(log)
	for _, want := range []string{"enable --user ts-unplug.service", "daemon-reload --user", "start --user ts-unplug.service", "disable --user ts-unplug.service"} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("systemctl never ran %q; calls:\n%s", want, calls)
		}
	}
}
