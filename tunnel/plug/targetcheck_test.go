package plug

import (
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// Targets that cannot be meant as a local server, and command names where
// COMMAND goes, are usage errors (exit 2) before anything starts.
func TestImplausibleTargetsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-upstream", "http://local host:8080"}, "-upstream"},
		{[]string{"-upstream", "-localhost:8080"}, "not a host name"},
		{[]string{"-upstream", "http://127.0.0.1:8080/v1"}, "not a path"},
		{[]string{"-http", "8000=http://*:8000"}, "not a host name"},
		{[]string{"-tcp", "5432=-db:5432"}, "not a host name"},
		{[]string{"-tcp", "5432=my db:5432"}, "not a host name"},
		{[]string{"help"}, `"help" is a command name`},
		{[]string{"version"}, `"version" is a command name`},
	}
	for _, tt := range tests {
		_, err := parse(t, append([]string{"-hostname", "web", "-dir", dir}, tt.args...)...)
		var ec cli.ExitCoder
		if !errors.As(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want a usage error with %q", tt.args, err, tt.want)
		}
	}
	// After -- any program runs, whatever its name.
	if o, err := parse(t, "-hostname", "web", "-dir", dir, "--", "help"); err != nil || len(o.command) != 1 {
		t.Errorf("-- help: %v %q", err, o.command)
	}
	for _, up := range []string{"8080", "localhost:8080", "http://127.0.0.1:8080", "https://[::1]:8443", "http://my_box.lan:80"} {
		if _, err := parse(t, "-hostname", "web", "-dir", dir, "-upstream", up); err != nil {
			t.Errorf("-upstream %s: %v", up, err)
		}
	}
}
