package unplug

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd/servicecmdtest"
	"github.com/tsplug/ts-plug/tunnel"
)

// oneService is a fake service manager holding the ts-unplug service
// (per-user or not) as installed.
func oneService(perUser bool, state string, in installers.Installed) *servicecmdtest.Fake {
	spec := installers.Spec{Name: "ts-unplug", User: perUser}
	return &servicecmdtest.Fake{Units: map[string]servicecmdtest.Unit{
		servicecmdtest.Key(spec): {State: state, Installed: in},
	}}
}

func runWith(e env, args ...string) (int, string) {
	var out bytes.Buffer
	err := newAppWith("test", &out, &out, e).Run(append([]string{"ts-unplug"}, args...))
	return tunnel.ExitStatus("ts-unplug", err, &out), out.String()
}

// serveFakeStatus answers ts-unplug's status socket in dir as a running
// instance would.
func serveFakeStatus(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	report := statusReport{Version: "test", PID: 4242, Mode: "http", Listen: "127.0.0.1:9996", Target: "http://ai",
		State: tunnel.State{Phase: tunnel.PhaseRunning, Hostname: "ts-unplug-laptop", DNSName: "ts-unplug-laptop.example.ts.net",
			LoginName: "alice@example.com"}}
	if err := tunnel.ServeStatus(ctx, filepath.Join(dir, tunnel.StatusSocketName), func() any { return report }); err != nil {
		t.Fatal(err)
	}
}

// After `sudo ts-unplug install`, plain `ts-unplug status` finds the
// system service and reads the state directory its unit names, not the
// default one of the user asking.
func TestStatusFindsTheInstalledService(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	svcDir := filepath.Join(t.TempDir(), "svc")
	serveFakeStatus(t, svcDir)
	for _, perUser := range []bool{false, true} {
		t.Run(fmt.Sprintf("per-user=%v", perUser), func(t *testing.T) {
			in := installers.Installed{Executable: "/usr/local/bin/ts-unplug",
				Arguments: []string{"-dir", svcDir, "-port", "9996", "http://ai"}}
			kind := "per-user service ts-unplug"
			if !perUser {
				in.RunAs = "alice"
				kind = "system service ts-unplug, runs as alice"
			}
			services := oneService(perUser, installers.StatusRunning, in)
			code, out := runWith(env{services: services, goos: "linux"}, "status")
			for _, want := range []string{
				"service:     running (" + kind + ")",
				"state:       running",
				"billed to:   alice@example.com",
				"forwarding:  http 127.0.0.1:9996 -> http://ai",
				"state dir:   " + svcDir,
			} {
				if code != 0 || !strings.Contains(out, want) {
					t.Errorf("status: exit %d, output lacks %q:\n%s", code, want, out)
				}
			}
		})
	}
}

func TestStatusWithoutService(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	e := env{services: &servicecmdtest.Fake{}, goos: "linux"}
	code, out := runWith(e, "status", "-hostname", "box")
	wantDir := filepath.Join(home, ".config", "ts-unplug", "box")
	if code != 1 || !strings.Contains(out, "ts-unplug is not running with state dir "+wantDir) || strings.Contains(out, "service:") {
		t.Errorf("status with nothing running: exit %d\n%s", code, out)
	}
	// A foreground run in the default dir is found as before.
	serveFakeStatus(t, wantDir)
	if code, out := runWith(e, "status", "-hostname", "box"); code != 0 || !strings.Contains(out, "state:       running") {
		t.Errorf("status of a foreground run: exit %d\n%s", code, out)
	}
}

// A service installed as root keeps a state directory this user cannot
// enter: status says to use sudo rather than "not running".
func TestStatusOfAServiceThatIsNotOurs(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root may enter any directory")
	}
	dir := filepath.Join(t.TempDir(), "locked")
	os.MkdirAll(filepath.Join(dir, "state"), 0o700)
	os.Chmod(dir, 0)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	services := oneService(false, installers.StatusRunning,
		installers.Installed{Arguments: []string{"-dir", filepath.Join(dir, "state"), "ai"}})
	code, out := runWith(env{services: services, goos: "linux"}, "status")
	if code != 1 || !strings.Contains(out, "belongs to root") || !strings.Contains(out, "`sudo ts-unplug status`") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
}

// `sudo ts-unplug install` (the invoker faked as this very user, so no
// root is needed) installs the service on the invoker's device: their
// state directory, run as them.
func TestInstallUnderSudoUsesTheInvokersDevice(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	home := t.TempDir()
	userDir := filepath.Join(home, ".config", "ts-unplug", "ts-unplug-laptop")
	writeDeviceState(t, userDir, "ts-unplug-laptop", "alice@example.com", "example.com")
	t.Setenv("HOME", filepath.Join(t.TempDir(), "root-home")) // sudo's HOME: root's
	t.Setenv("XDG_CONFIG_HOME", "")
	invoker := installers.Account{Name: me.Username, UID: os.Getuid(), GID: os.Getgid(), Home: home}
	e := env{services: &servicecmdtest.Fake{}, goos: "linux",
		invoker: func() (installers.Account, bool, error) { return invoker, true, nil }}
	root := t.TempDir()
	code, out := runWith(e, "install", "--root", root, "-hostname", "ts-unplug-laptop", "-authkey", "tskey-auth-x", "ai")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	want := "ts-unplug: using the device state in " + userDir + " (already logged in as alice@example.com, device ts-unplug-laptop on tailnet example.com)"
	if !strings.Contains(out, want) {
		t.Errorf("install output lacks\n%s\n%s", want, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/ts-unplug.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"User=" + me.Username, "-dir " + userDir, "-authkey file:" + userDir + "/authkey"} {
		if !strings.Contains(string(unit), w) {
			t.Errorf("unit lacks %q:\n%s", w, unit)
		}
	}
}

// A device cannot run twice: install refuses while a foreground run uses
// the state it would take over.
func TestInstallRefusesWhileARunUsesTheState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	serveFakeStatus(t, dir)
	e := env{services: &servicecmdtest.Fake{}, goos: "linux", invoker: func() (installers.Account, bool, error) { return installers.Account{}, false, nil }}
	code, out := runWith(e, "install", "--root", t.TempDir(), "-dir", dir, "ai")
	if code != 1 || !strings.Contains(out, "a ts-unplug (pid 4242) is already running with the device state in "+dir) {
		t.Errorf("install: exit %d\n%s", code, out)
	}
}
