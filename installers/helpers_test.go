package installers

import (
	"errors"
	"os"
	"strings"
	"testing"
	"text/template"

	"github.com/kardianos/service"
)

// TestMain makes sure no test can reach the real service manager: unless a
// test installs its own fake backend, every kardianos call fails.
func TestMain(m *testing.M) {
	sys = backend{
		goos:     "linux",
		platform: "test-none",
		newService: func(service.Interface, *service.Config) (service.Service, error) {
			return nil, errors.New("test: real service manager used")
		},
		interactive: func() bool { return true },
		privileged:  func() bool { return false },
		sudoUser:    func() string { return "" },
		homeDir:     func() (string, error) { return "", errors.New("test: no home") },
		notify:      func(chan<- os.Signal, ...os.Signal) {},
		exit:        func(int) { panic("test: exit called") },
	}
	os.Exit(m.Run())
}

// fakeService records what the package asks of kardianos.
type fakeService struct {
	cfg   *service.Config
	iface service.Interface
	calls []string

	// writeTo, when set, makes Install behave like kardianos' systemd or
	// launchd Install: execute the custom template into that file.
	writeTo string
	// status and statusErr are what Status returns.
	status    service.Status
	statusErr error
	// err is returned by Install, Uninstall, Start, Stop and Restart.
	err error
}

func (f *fakeService) call(name string) error { f.calls = append(f.calls, name); return f.err }

func (f *fakeService) Run() error {
	f.calls = append(f.calls, "run")
	if err := f.iface.Start(f); err != nil {
		return err
	}
	if w, ok := f.cfg.Option["RunWait"].(func()); ok {
		w()
	}
	return f.iface.Stop(f)
}
func (f *fakeService) Start() error   { return f.call("start") }
func (f *fakeService) Stop() error    { return f.call("stop") }
func (f *fakeService) Restart() error { return f.call("restart") }
func (f *fakeService) Install() error {
	if f.writeTo != "" {
		script, _ := f.cfg.Option["SystemdScript"].(string)
		if script == "" {
			script, _ = f.cfg.Option["LaunchdConfig"].(string)
		}
		out, err := os.Create(f.writeTo)
		if err != nil {
			return err
		}
		defer out.Close()
		if err := template.Must(template.New("").Parse(script)).Execute(out, f.cfg); err != nil {
			return err
		}
	}
	return f.call("install")
}
func (f *fakeService) Uninstall() error                            { return f.call("uninstall") }
func (f *fakeService) Logger(chan<- error) (service.Logger, error) { return service.ConsoleLogger, nil }
func (f *fakeService) SystemLogger(chan<- error) (service.Logger, error) {
	return service.ConsoleLogger, nil
}
func (f *fakeService) String() string   { return f.cfg.Name }
func (f *fakeService) Platform() string { return "fake" }
func (f *fakeService) Status() (service.Status, error) {
	f.calls = append(f.calls, "status")
	return f.status, f.statusErr
}

// useFake installs a fake backend for the test: platform is kardianos'
// platform name, home a temp dir, and every service.New returns fake.
func useFake(t *testing.T, platform string, privileged bool, fake *fakeService) (home string) {
	t.Helper()
	home = t.TempDir()
	old := sys
	t.Cleanup(func() { sys = old })
	goos := "linux"
	switch {
	case strings.HasPrefix(platform, "darwin"):
		goos = "darwin"
	case strings.HasPrefix(platform, "windows"):
		goos = "windows"
	}
	sys = backend{
		goos:     goos,
		platform: platform,
		newService: func(i service.Interface, c *service.Config) (service.Service, error) {
			fake.cfg, fake.iface = c, i
			return fake, nil
		},
		interactive: func() bool { return false },
		privileged:  func() bool { return privileged },
		sudoUser:    func() string { return "" },
		homeDir:     func() (string, error) { return home, nil },
		notify:      old.notify,
		exit:        old.exit,
	}
	return home
}
