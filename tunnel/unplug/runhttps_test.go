package unplug

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/tunnel"
)

func serveReport(t *testing.T, dir string, r statusReport) {
	t.Helper()
	os.MkdirAll(dir, 0o700)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := tunnel.ServeStatus(ctx, filepath.Join(dir, tunnel.StatusSocketName), func() any { return r }); err != nil {
		t.Fatal(err)
	}
}

// `ts-unplug env --https` points tools at the --https URL: the running
// instance's, else the recorded name with the service's --https-port.
func TestEnvHTTPS(t *testing.T) {
	running := filepath.Join(t.TempDir(), "running")
	serveReport(t, running, statusReport{Mode: "http", Listen: "127.0.0.1:9996",
		HTTPS: "https://" + testHTTPSName + ":9443", HTTPSListen: "127.0.0.1:9443"})
	plain := filepath.Join(t.TempDir(), "plain")
	serveReport(t, plain, statusReport{Mode: "http", Listen: "127.0.0.1:9996"})
	stopped := t.TempDir()
	writeHTTPSName(stopped, testHTTPSName)
	service := env{goos: "linux", services: oneService(false, installers.StatusStopped,
		installers.Installed{Arguments: []string{"-dir", stopped, "--https-port", "8443", "ai"}})}

	for _, tt := range []struct {
		name string
		e    env
		args []string
		code int
		want string
	}{
		{"running instance", noServices(), []string{"env", "--https", "--dir", running, "--shell", "sh", "claude"}, 0,
			"export ANTHROPIC_BASE_URL=https://" + testHTTPSName + ":9443\n"},
		{"installed service not running", service, []string{"env", "--https", "--shell", "sh", "claude"}, 0,
			"export ANTHROPIC_BASE_URL=https://" + testHTTPSName + ":8443\n"},
		{"instance without --https", noServices(), []string{"env", "--https", "--dir", plain, "--shell", "sh", "claude"}, 1,
			"serves no HTTPS: start (or install) it with --https"},
		{"nothing ever ran", noServices(), []string{"env", "--https", "--dir", t.TempDir(), "--shell", "sh", "claude"}, 1,
			"no ts-unplug with --https has run"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runWith(tt.e, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d; output lacks %q:\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}
