package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/tailnettest"
)

// Once up, ts-unplug says which identity it runs as and who is billed
// for requests through it: the login for an untagged device, the tags
// (one principal for every device with them) for a tagged one.
func TestUnplugPrintsItsIdentityOnceUp(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		// want builds the expected line from the login the gateway side
		// sees for the device.
		want func(login string) string
	}{
		{
			name: "untagged: billed to the login",
			want: func(login string) string {
				return "ts-unplug is up as laptop." + tailnettest.DefaultDomain + " (" + login +
					"); requests through it are billed to " + login
			},
		},
		{
			name:  "tagged: billed to the tags",
			extra: []string{"-advertise-tags", "tag:dev,tag:ci"},
			want: func(string) string {
				return "ts-unplug is up as laptop." + tailnettest.DefaultDomain +
					" (tagged tag:dev, tag:ci, no user); requests through it are billed to tag:ci,tag:dev, shared by every device with those tags"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			tn := tailnettest.New(t, tailnettest.Options{TagOwners: map[string][]string{"tag:ci": nil, "tag:dev": nil}})
			serveEchoNode(t, tn.Node(t, "ai"))
			base, proc, dir := startUnplug(t, tn, "laptop", append(tt.extra, "ai")...)

			res := waitHTTP(ctx, t, base+"/whoami", 200)
			var who struct{ Login string }
			json.NewDecoder(res.Body).Decode(&who)
			res.Body.Close()
			want := tt.want(who.Login)
			if err := proc.WaitOutput(ctx, want); err != nil {
				t.Fatalf("the identity line never came (%v); want\n%s\ngot:\n%s", err, want, proc.Output())
			}
			if n := strings.Count(proc.Output(), "ts-unplug is up as"); n != 1 {
				t.Errorf("identity line printed %d times, want once:\n%s", n, proc.Output())
			}
			// status says the same.
			out, code := runBin(t, tn, "ts-unplug", "status", "-dir", dir)
			principal := strings.TrimSuffix(strings.SplitN(want, "billed to ", 2)[1], ", shared by every device with those tags")
			if code != 0 || !strings.Contains(out, "billed to:   "+principal) {
				t.Errorf("status (exit %d) lacks billed to %q:\n%s", code, principal, out)
			}
		})
	}
}

// A command name, a typo of one, or something that is no host name as
// TARGET is a usage error (exit 2, with the usage line) before any device
// starts: `ts-unplug help` used to start forwarding to http://help.
func TestUnplugCommandNamesAreNotTargets(t *testing.T) {
	for _, args := range [][]string{
		{"help"},
		{"version"},
		{"stauts"},
		{"instal"},
		{"install", "stauts"},
		{"--", "-port"},
		{"ai host"},
		{"http://ai/v1/messages"},
	} {
		dir := filepath.Join(t.TempDir(), "state")
		runArgs := append([]string{"-dir", dir}, args...)
		if args[0] == "install" {
			runArgs = append([]string{"install", "--root", t.TempDir(), "-dir", dir}, args[1:]...)
		}
		out, code := runBin(t, nil, "ts-unplug", runArgs...)
		if code != 2 || !strings.Contains(out, "usage: ts-unplug [flags] TARGET") {
			t.Errorf("ts-unplug %q: exit %d, want 2 with the usage line:\n%s", args, code, out)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("ts-unplug %q made a state directory (%v): a device was started", args, err)
		}
	}
	// ts-plug: a command name where COMMAND goes, or a local server that
	// is no host, is a usage error too.
	for _, args := range [][]string{
		{"help"},
		{"-upstream", "http://local host:8080"},
		{"-tcp", "5432=-db:5432"},
	} {
		dir := filepath.Join(t.TempDir(), "state")
		out, code := runBin(t, nil, "ts-plug", append([]string{"-hostname", "web", "-dir", dir}, args...)...)
		if code != 2 {
			t.Errorf("ts-plug %q: exit %d, want 2:\n%s", args, code, out)
		}
	}
}
