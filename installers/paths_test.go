package installers

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnitPath(t *testing.T) {
	tests := []struct {
		name     string
		platform string
		spec     Spec
		want     string // "~" is replaced by the fake home
		wantErr  error
	}{
		{name: "systemd system", platform: "linux-systemd", spec: Spec{Name: "ts-unplug"}, want: "/etc/systemd/system/ts-unplug.service"},
		{name: "systemd user", platform: "linux-systemd", spec: Spec{Name: "ts-unplug", User: true}, want: "~/.config/systemd/user/ts-unplug.service"},
		{name: "launchd daemon", platform: "darwin-launchd", spec: Spec{Name: "ts-unplug"}, want: "/Library/LaunchDaemons/ts-unplug.plist"},
		{name: "launchd agent", platform: "darwin-launchd", spec: Spec{Name: "ts-unplug", User: true}, want: "~/Library/LaunchAgents/ts-unplug.plist"},
		{name: "root prefix, systemd", platform: "linux-sysv", spec: Spec{Name: "ts-unplug", Root: "/pkg"}, want: "/pkg/etc/systemd/system/ts-unplug.service"},
		{name: "root prefix, user", platform: "linux-systemd", spec: Spec{Name: "ts-unplug", Root: "/pkg", User: true}, want: "/pkg~/.config/systemd/user/ts-unplug.service"},
		{name: "windows has no file", platform: "windows-service", spec: Spec{Name: "ts-unplug"}, wantErr: ErrUnsupported},
		{name: "no manager", platform: "unix-systemv", spec: Spec{Name: "ts-unplug"}, wantErr: ErrNoServiceManager},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := useFake(t, tt.platform, true, &fakeService{})
			tt.spec.Executable = "/bin/x"
			got, err := UnitPath(tt.spec)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := expandHome(tt.want, home)
			if got != want {
				t.Errorf("UnitPath = %q, want %q", got, want)
			}
		})
	}
}

// expandHome replaces the first "~" in p with home.
func expandHome(p, home string) string {
	if before, after, ok := strings.Cut(p, "~"); ok {
		return filepath.Clean(before + home + after)
	}
	return p
}
