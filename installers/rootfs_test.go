package installers

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRootInstallSystemdLifecycle(t *testing.T) {
	for _, user := range []bool{false, true} {
		name := "system"
		if user {
			name = "user"
		}
		t.Run(name, func(t *testing.T) {
			fake := &fakeService{}
			home := useFake(t, "linux-systemd", false, fake) // not root: Root mode needs no privileges
			root := t.TempDir()
			spec := Spec{
				Name:       "ts-unplug",
				Executable: "/usr/bin/ts-unplug",
				Arguments:  []string{"--dir", "/var/lib/ts unplug", "db:80"},
				User:       user,
				Root:       root,
			}
			want := filepath.Join(root, "etc/systemd/system/ts-unplug.service")
			if user {
				want = filepath.Join(root, home, ".config/systemd/user/ts-unplug.service")
			}

			if st, err := Status(spec); err != nil || st != StatusNotInstalled {
				t.Fatalf("Status before install = %q, %v; want %q", st, err, StatusNotInstalled)
			}
			old := setUmask(0o077) // Install must still produce 0644
			err := Install(spec)
			setUmask(old)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(want)
			if err != nil {
				t.Fatalf("unit not written at %s: %v", want, err)
			}
			if fi.Mode().Perm() != 0o644 {
				t.Errorf("unit mode = %v, want 0644", fi.Mode().Perm())
			}
			got, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			wantText, err := RenderSystemdUnit(spec)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != wantText {
				t.Errorf("written unit differs from RenderSystemdUnit:\n%s\n---\n%s", got, wantText)
			}
			if p, err := UnitPath(spec); err != nil || p != want {
				t.Errorf("UnitPath = %q, %v; want %q", p, err, want)
			}
			if st, err := Status(spec); err != nil || st != StatusUnknown {
				t.Errorf("Status after install = %q, %v; want %q", st, err, StatusUnknown)
			}
			if err := Install(spec); !errors.Is(err, ErrAlreadyInstalled) {
				t.Errorf("second Install err = %v, want ErrAlreadyInstalled", err)
			}
			if err := Start(spec); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Start in Root mode err = %v, want ErrUnsupported", err)
			}
			if err := Uninstall(spec); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(want); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("unit still present after Uninstall: %v", err)
			}
			if err := Uninstall(spec); !errors.Is(err, ErrNotInstalled) {
				t.Errorf("second Uninstall err = %v, want ErrNotInstalled", err)
			}
			if st, err := Status(spec); err != nil || st != StatusNotInstalled {
				t.Errorf("Status after uninstall = %q, %v", st, err)
			}
			if len(fake.calls) != 0 {
				t.Errorf("Root mode called the service manager: %v", fake.calls)
			}
		})
	}
}

func TestRootInstallPerOS(t *testing.T) {
	tests := []struct {
		platform string
		wantPath string // relative to root
		wantErr  error
	}{
		{platform: "darwin-launchd", wantPath: "Library/LaunchDaemons/ts-unplug.plist"},
		{platform: "linux-upstart", wantPath: "etc/systemd/system/ts-unplug.service"}, // Root mode ignores the running init
		{platform: "windows-service", wantErr: ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			useFake(t, tt.platform, true, &fakeService{})
			root := t.TempDir()
			spec := Spec{Name: "ts-unplug", Executable: "/usr/bin/ts-unplug", Root: root}
			err := Install(spec)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(root, tt.wantPath))
			if err != nil {
				t.Fatal(err)
			}
			s, _ := spec.normalize()
			want, _ := renderUnit(s, sys.fileManager())
			if string(got) != want {
				t.Errorf("content:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestRootInstallUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	useFake(t, "linux-systemd", true, &fakeService{})
	root := t.TempDir()
	if err := os.Chmod(root, 0o555); err != nil {
		t.Fatal(err)
	}
	err := Install(Spec{Name: "x", Executable: "/bin/x", Root: root})
	if !errors.Is(err, ErrNotPrivileged) {
		t.Errorf("err = %v, want ErrNotPrivileged", err)
	}
}
