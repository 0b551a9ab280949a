package installers

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadInstalledRoundTrip installs units (Root mode, no service
// manager) with awkward arguments and reads them back as status does.
func TestReadInstalledRoundTrip(t *testing.T) {
	args := []string{"-dir", "/home/al ice/.config/ts-unplug/ts-unplug-laptop", "100%", "$HOME", `say "hi"`, "", "{{.Name}}", "ai.example.ts.net"}
	tests := []struct {
		name     string
		platform string
		spec     Spec
	}{
		{name: "systemd system service run as a user", platform: "linux-systemd",
			spec: Spec{Name: "ts-unplug", Executable: "/usr/local/bin/ts-unplug", Arguments: args, RunAs: "alice"}},
		{name: "systemd system service as root", platform: "linux-systemd",
			spec: Spec{Name: "ts-unplug", Executable: "/opt/My Apps/ts-unplug", Arguments: args}},
		{name: "systemd user service", platform: "linux-systemd",
			spec: Spec{Name: "ts-unplug", Executable: "/usr/local/bin/ts-unplug", Arguments: args, User: true}},
		{name: "launchd daemon run as a user", platform: "darwin-launchd",
			spec: Spec{Name: "ts-unplug", Executable: "/usr/local/bin/ts-unplug", Arguments: args, RunAs: "alice"}},
		{name: "launchd agent", platform: "darwin-launchd",
			spec: Spec{Name: "ts-unplug", Executable: "/usr/local/bin/ts-unplug", Arguments: args, User: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useFake(t, tt.platform, true, &fakeService{})
			spec := tt.spec
			spec.Root = t.TempDir()
			if _, err := ReadInstalled(spec); !errors.Is(err, ErrNotInstalled) {
				t.Fatalf("before install: err = %v, want ErrNotInstalled", err)
			}
			if err := Install(spec); err != nil {
				t.Fatal(err)
			}
			got, err := ReadInstalled(spec)
			if err != nil {
				t.Fatal(err)
			}
			if got.Executable != spec.Executable || !slices.Equal(got.Arguments, spec.Arguments) || got.RunAs != spec.RunAs {
				t.Errorf("read back %+v\nwant exe %q args %q run as %q", got, spec.Executable, spec.Arguments, spec.RunAs)
			}
		})
	}
}

func TestReadInstalledErrors(t *testing.T) {
	useFake(t, "linux-systemd", true, &fakeService{})
	spec := Spec{Name: "x", Executable: "/bin/x", Root: t.TempDir()}
	path, err := UnitPath(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, unit := range []string{"[Service]\nType=simple\n", "ExecStart=\"unterminated\n", "ExecStart=\n"} {
		if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		if in, err := ReadInstalled(spec); err == nil {
			t.Errorf("unit %q read as %+v, want an error", unit, in)
		}
	}

	useFake(t, "windows-service", true, &fakeService{})
	if _, err := ReadInstalled(Spec{Name: "x", Executable: `C:\x.exe`}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("windows: err = %v, want ErrUnsupported", err)
	}
}
