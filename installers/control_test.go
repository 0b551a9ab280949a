package installers

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/kardianos/service"
)

// userSpec is a per-user systemd spec, whose unit lives in the fake home,
// so tests can create and remove it without touching /etc.
func userSpec() Spec {
	return Spec{Name: "ts-unplug", Executable: "/usr/bin/ts-unplug", Arguments: []string{"--dir", "/home/me/state", "{{.Name}}"}, User: true}
}

func TestInstallThroughKardianos(t *testing.T) {
	fake := &fakeService{}
	home := useFake(t, "linux-systemd", false, fake)
	spec := userSpec()
	path := filepath.Join(home, ".config/systemd/user/ts-unplug.service")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	fake.writeTo = path
	if err := Install(spec); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fake.calls, []string{"install"}) {
		t.Errorf("calls = %v, want [install]", fake.calls)
	}
	if fake.cfg.Option["UserService"] != true {
		t.Errorf("UserService option = %v, want true", fake.cfg.Option["UserService"])
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := RenderSystemdUnit(spec)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("kardianos would write:\n%s\nwant RenderSystemdUnit:\n%s", got, want)
	}

	fake.calls = nil
	if err := Install(spec); !errors.Is(err, ErrAlreadyInstalled) || !strings.Contains(err.Error(), path) {
		t.Errorf("second Install err = %v, want ErrAlreadyInstalled naming %s", err, path)
	}
	if len(fake.calls) != 0 {
		t.Errorf("second Install reached kardianos: %v", fake.calls)
	}
}

func TestInstallLaunchdPassesPlist(t *testing.T) {
	fake := &fakeService{}
	home := useFake(t, "darwin-launchd", false, fake)
	spec := userSpec()
	fake.writeTo = filepath.Join(home, "agent.plist")
	if err := Install(spec); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(fake.writeTo)
	want, err := RenderLaunchdPlist(spec)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("kardianos would write:\n%s\nwant:\n%s", got, want)
	}
}

func TestInstallWindows(t *testing.T) {
	fake := &fakeService{}
	useFake(t, "windows-service", true, fake)
	spec := Spec{Name: "ts-unplug", Executable: "/opt/ts unplug/ts-unplug.exe", Arguments: []string{"--dir", `C:\state`}}
	if err := Install(spec); err != nil {
		t.Fatal(err)
	}
	if fake.cfg.Option["OnFailure"] != "restart" {
		t.Errorf("OnFailure = %v, want restart", fake.cfg.Option["OnFailure"])
	}
	if !slices.Equal(fake.cfg.Arguments, spec.Arguments) || fake.cfg.Executable != spec.Executable {
		t.Errorf("config = %+v", fake.cfg)
	}
	spec.User = true
	if err := Install(spec); !errors.Is(err, ErrNoUserService) {
		t.Errorf("user install on Windows err = %v, want ErrNoUserService", err)
	}
}

func TestInstallErrors(t *testing.T) {
	tests := []struct {
		name         string
		platform     string
		privileged   bool
		spec         Spec
		fakeErr      error
		wantIs       error
		wantContains string
		wantCalls    []string
	}{
		{
			name:         "system service without root",
			platform:     "linux-systemd",
			spec:         Spec{Name: "ts-unplug-test-never-installed", Executable: "/bin/x"},
			wantIs:       ErrNotPrivileged,
			wantContains: "installing a system service needs root: run with sudo, or use --user for a per-user service",
		},
		{
			name:         "no supported manager",
			platform:     "unix-systemv",
			privileged:   true,
			spec:         Spec{Name: "ts-unplug", Executable: "/usr/bin/ts-unplug", Arguments: []string{"db:80"}},
			wantIs:       ErrNoServiceManager,
			wantContains: "run `ts-unplug db:80` in the foreground instead",
		},
		{
			name:         "kardianos permission error is mapped",
			platform:     "linux-systemd",
			privileged:   true,
			spec:         userSpec(),
			fakeErr:      &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission},
			wantIs:       ErrNotPrivileged,
			wantContains: "sudo",
			wantCalls:    []string{"install"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeService{err: tt.fakeErr}
			useFake(t, tt.platform, tt.privileged, fake)
			err := Install(tt.spec)
			if !errors.Is(err, tt.wantIs) || !strings.Contains(err.Error(), tt.wantContains) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantIs, tt.wantContains)
			}
			if !slices.Equal(fake.calls, tt.wantCalls) {
				t.Errorf("calls = %v, want %v", fake.calls, tt.wantCalls)
			}
		})
	}
}

func TestUserServiceUnderSudo(t *testing.T) {
	fake := &fakeService{}
	useFake(t, "linux-systemd", true, fake)
	sys.sudoUser = func() string { return "alice" }
	err := Install(userSpec())
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "without sudo") {
		t.Errorf("err = %v, want advice to run without sudo", err)
	}
	if len(fake.calls) != 0 {
		t.Errorf("calls = %v", fake.calls)
	}
	if err := Install(Spec{Name: "ts-unplug-test-never-installed", Executable: "/bin/x"}); err != nil {
		t.Errorf("a system install under sudo failed: %v", err)
	}
	if len(fake.calls) != 1 {
		t.Errorf("system install under sudo calls = %v, want [install]", fake.calls)
	}
}

func TestInstallFailureRemovesUnit(t *testing.T) {
	fake := &fakeService{err: errors.New("exit status 1")}
	home := useFake(t, "linux-systemd", false, fake)
	path := filepath.Join(home, ".config/systemd/user/ts-unplug.service")
	os.MkdirAll(filepath.Dir(path), 0o755)
	fake.writeTo = path
	err := Install(userSpec())
	if err == nil || !strings.Contains(err.Error(), "systemctl --user status ts-unplug") {
		t.Fatalf("err = %v, want a hint naming systemctl --user status", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("half-installed unit left behind: %v", err)
	}
}

func TestUninstall(t *testing.T) {
	tests := []struct {
		name      string
		installed bool
		status    service.Status
		wantIs    error
		wantCalls []string
	}{
		{name: "not installed", wantIs: ErrNotInstalled},
		{name: "stopped", installed: true, status: service.StatusStopped, wantCalls: []string{"status", "uninstall"}},
		{name: "running is stopped first", installed: true, status: service.StatusRunning, wantCalls: []string{"status", "stop", "uninstall"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeService{status: tt.status}
			home := useFake(t, "linux-systemd", false, fake)
			if tt.installed {
				writeUserUnit(t, home)
			}
			err := Uninstall(userSpec())
			if tt.wantIs != nil {
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want %v", err, tt.wantIs)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fake.calls, tt.wantCalls) {
				t.Errorf("calls = %v, want %v", fake.calls, tt.wantCalls)
			}
		})
	}
}

func TestUninstallSystemNeedsRoot(t *testing.T) {
	fake := &fakeService{}
	useFake(t, "darwin-launchd", false, fake)
	err := Uninstall(Spec{Name: "ts-unplug", Executable: "/bin/x"})
	if !errors.Is(err, ErrNotPrivileged) || !strings.HasPrefix(err.Error(), "uninstalling a system service needs root") {
		t.Errorf("err = %v", err)
	}
}

func TestControl(t *testing.T) {
	tests := []struct {
		name      string
		fn        func(Spec) error
		installed bool
		fakeErr   error
		wantIs    error
		wantCalls []string
	}{
		{name: "start", fn: Start, installed: true, wantCalls: []string{"start"}},
		{name: "stop", fn: Stop, installed: true, wantCalls: []string{"stop"}},
		{name: "restart", fn: Restart, installed: true, wantCalls: []string{"restart"}},
		{name: "start not installed", fn: Start, wantIs: ErrNotInstalled},
		{name: "stop not installed", fn: Stop, wantIs: ErrNotInstalled},
		{name: "start fails", fn: Start, installed: true, fakeErr: fs.ErrPermission, wantIs: ErrNotPrivileged, wantCalls: []string{"start"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeService{err: tt.fakeErr}
			home := useFake(t, "linux-systemd", false, fake)
			if tt.installed {
				writeUserUnit(t, home)
			}
			err := tt.fn(userSpec())
			if tt.wantIs != nil {
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want %v", err, tt.wantIs)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fake.calls, tt.wantCalls) {
				t.Errorf("calls = %v, want %v", fake.calls, tt.wantCalls)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name      string
		platform  string
		installed bool
		status    service.Status
		statusErr error
		want      string
		wantErr   string
	}{
		{name: "not installed, manager not asked", platform: "linux-systemd", want: StatusNotInstalled},
		{name: "running", platform: "linux-systemd", installed: true, status: service.StatusRunning, want: StatusRunning},
		{name: "stopped", platform: "linux-systemd", installed: true, status: service.StatusStopped, want: StatusStopped},
		{name: "manager says not installed", platform: "linux-systemd", installed: true, statusErr: service.ErrNotInstalled, want: StatusNotInstalled},
		{name: "failed unit", platform: "linux-systemd", installed: true, statusErr: errors.New("service in failed state"), want: StatusUnknown, wantErr: "journalctl --user -u ts-unplug"},
		{name: "unknown", platform: "linux-systemd", installed: true, status: service.StatusUnknown, want: StatusUnknown},
		{name: "no manager", platform: "linux-openrc", want: StatusUnknown, wantErr: "no supported service manager"},
		{name: "windows user", platform: "windows-service", want: StatusUnknown, wantErr: "not supported on Windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeService{status: tt.status, statusErr: tt.statusErr}
			home := useFake(t, tt.platform, false, fake)
			if tt.installed {
				writeUserUnit(t, home)
			}
			got, err := Status(userSpec())
			if got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
			if tt.wantErr == "" && err != nil {
				t.Errorf("err = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want containing %q", err, tt.wantErr)
			}
			if !tt.installed && len(fake.calls) != 0 {
				t.Errorf("manager asked about a service with no unit: %v", fake.calls)
			}
		})
	}
}

func TestTemplateLiteral(t *testing.T) {
	for _, text := range []string{"", "plain", "{{.Name}}", "a{{{b}}}c", "{{", "}}{{-", `{{"{{"}}`} {
		var b strings.Builder
		tmpl, err := template.New("").Parse(templateLiteral(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if err := tmpl.Execute(&b, struct{ Name string }{"X"}); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if b.String() != text {
			t.Errorf("templateLiteral(%q) renders %q", text, b.String())
		}
	}
}

func TestInstallNotes(t *testing.T) {
	tests := []struct {
		name     string
		platform string
		spec     Spec
		want     []string // substrings, one per note
	}{
		{name: "systemd user", platform: "linux-systemd", spec: Spec{Name: "a", User: true}, want: []string{"loginctl enable-linger", "journalctl --user -u a"}},
		{name: "systemd system with env", platform: "linux-systemd", spec: Spec{Name: "a", Env: map[string]string{"K": "v"}}, want: []string{"journalctl -u a", "world-readable"}},
		{name: "launchd agent", platform: "darwin-launchd", spec: Spec{Name: "a", User: true}, want: []string{"logged in"}},
		{name: "windows", platform: "windows-service", spec: Spec{Name: "a", Env: map[string]string{"K": "v"}}, want: nil},
		{name: "root", platform: "linux-systemd", spec: Spec{Name: "a", Root: "/pkg"}, want: []string{"/pkg/etc/systemd/system/a.service", "journalctl -u a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useFake(t, tt.platform, true, &fakeService{})
			tt.spec.Executable = "/bin/a"
			got := InstallNotes(tt.spec)
			if len(got) != len(tt.want) {
				t.Fatalf("notes = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("note %d = %q, want containing %q", i, got[i], w)
				}
			}
		})
	}
}

// writeUserUnit creates the user unit file for userSpec in home.
func writeUserUnit(t *testing.T, home string) {
	t.Helper()
	path := filepath.Join(home, ".config/systemd/user/ts-unplug.service")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("[Unit]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
