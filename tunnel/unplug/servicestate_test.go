package unplug

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/installers"
	"tailscale.com/ipn"
	"tailscale.com/tailcfg"
)

func TestChooseServiceState(t *testing.T) {
	alice := &installers.Account{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice"}
	owners := map[string]int{"/home/alice/state": 1000, "/srv/ts": 0}
	ownerUID := func(p string) (int, bool) {
		for dir, uid := range owners {
			if within(p, dir) {
				return uid, true
			}
		}
		return 0, false
	}
	tests := []struct {
		name      string
		in        stateInputs
		wantDir   string
		wantRunAs string
	}{
		{
			name: "sudo install: the invoker's device, run as them (root's HOME gave /root)",
			in: stateInputs{runDir: "/root/.config/ts-unplug/ts-unplug-laptop", hostname: "ts-unplug-laptop",
				goos: "linux", invoker: alice},
			wantDir: "/home/alice/.config/ts-unplug/ts-unplug-laptop", wantRunAs: "alice",
		},
		{
			name: "sudo install on macOS",
			in: stateInputs{runDir: "/var/root/Library/Application Support/ts-unplug/h", hostname: "h",
				goos: "darwin", invoker: &installers.Account{Name: "amy", UID: 501, Home: "/Users/amy"}},
			wantDir: "/Users/amy/Library/Application Support/ts-unplug/h", wantRunAs: "amy",
		},
		{
			name:    "sudo that kept HOME (or XDG_CONFIG_HOME): that directory, run as the invoker",
			in:      stateInputs{runDir: "/home/alice/xdg/ts-unplug/h", hostname: "h", goos: "linux", invoker: alice},
			wantDir: "/home/alice/xdg/ts-unplug/h", wantRunAs: "alice",
		},
		{
			name: "sudo with -dir of the invoker's: run as them",
			in: stateInputs{dirFlag: "state/x", runDir: "/home/alice/state/x", hostname: "h", goos: "linux", invoker: alice,
				ownerUID: ownerUID},
			wantDir: "/home/alice/state/x", wantRunAs: "alice",
		},
		{
			name: "sudo with a root-owned -dir: run as root",
			in: stateInputs{dirFlag: "/srv/ts/h", runDir: "/srv/ts/h", hostname: "h", goos: "linux", invoker: alice,
				ownerUID: ownerUID},
			wantDir: "/srv/ts/h",
		},
		{
			name:    "root shell, no sudo: root's own state, run as root",
			in:      stateInputs{runDir: "/root/.config/ts-unplug/h", hostname: "h", goos: "linux"},
			wantDir: "/root/.config/ts-unplug/h",
		},
		{
			name:    "per-user service: the foreground run's state",
			in:      stateInputs{runDir: "/home/alice/.config/ts-unplug/h", hostname: "h", goos: "linux", userService: true},
			wantDir: "/home/alice/.config/ts-unplug/h",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := chooseServiceState(tt.in)
			runAs := ""
			if st.runAs != nil {
				runAs = st.runAs.Name
			}
			if st.dir != tt.wantDir || runAs != tt.wantRunAs {
				t.Errorf("chose dir %q run as %q, want %q as %q", st.dir, runAs, tt.wantDir, tt.wantRunAs)
			}
		})
	}
}

// writeDeviceState writes a tailscaled.state as tsnet's FileStore does,
// with one logged-in profile.
func writeDeviceState(t *testing.T, dir, hostname, login, tailnet string) {
	t.Helper()
	prof := ipn.LoginProfile{
		ID: "p1", Name: login, Key: "profile-p1", NodeID: "nABC123CNTRL",
		UserProfile:    tailcfg.UserProfile{LoginName: login},
		NetworkProfile: ipn.NetworkProfile{DomainName: tailnet},
	}
	profiles, _ := json.Marshal(map[ipn.ProfileID]ipn.LoginProfile{prof.ID: prof})
	prefs, _ := json.Marshal(ipn.Prefs{Hostname: hostname})
	store, _ := json.Marshal(map[ipn.StateKey][]byte{
		ipn.KnownProfilesStateKey:  profiles,
		ipn.CurrentProfileStateKey: []byte(prof.Key),
		prof.Key:                   prefs,
	})
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tailscaled.state"), store, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReadSavedDevice(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := readSavedDevice(dir); ok || err != nil {
		t.Fatalf("empty dir: ok %v err %v, want no device", ok, err)
	}
	// Started but never logged in: a state file without a node.
	notLoggedIn, _ := json.Marshal(map[ipn.StateKey][]byte{"_machinekey": []byte("privkey:00")})
	os.WriteFile(filepath.Join(dir, "tailscaled.state"), notLoggedIn, 0o600)
	if _, ok, err := readSavedDevice(dir); ok || err != nil {
		t.Fatalf("never logged in: ok %v err %v, want no device", ok, err)
	}
	writeDeviceState(t, dir, "ts-unplug-laptop", "alice@example.com", "example.com")
	dev, ok, err := readSavedDevice(dir)
	want := savedDevice{Hostname: "ts-unplug-laptop", LoginName: "alice@example.com", Tailnet: "example.com"}
	if !ok || err != nil || dev != want {
		t.Errorf("readSavedDevice = %+v, %v, %v; want %+v", dev, ok, err, want)
	}
	os.WriteFile(filepath.Join(dir, "tailscaled.state"), []byte("{not json"), 0o600)
	if _, _, err := readSavedDevice(dir); err == nil {
		t.Error("a corrupt state file read without an error")
	}
}

func TestDescribeServiceState(t *testing.T) {
	dev := &savedDevice{Hostname: "laptop-1", LoginName: "alice@example.com", Tailnet: "example.com"}
	tests := []struct {
		name string
		st   serviceState
		goos string
		want []string
	}{
		{"existing device, run as the user",
			serviceState{dir: "/home/u/.config/ts-unplug/laptop-1", runAs: &installers.Account{Name: "u"}, device: dev}, "linux",
			[]string{"using the device state in /home/u/.config/ts-unplug/laptop-1 (already logged in as alice@example.com, device laptop-1 on tailnet example.com)",
				"no new login or approval", "runs as user u, so `ts-unplug status` works without sudo"}},
		{"no device yet, root", serviceState{dir: "/root/.config/ts-unplug/h"}, "linux",
			[]string{"no device in /root/.config/ts-unplug/h yet: the service logs in as new device h", "runs as root", "`sudo ts-unplug status`"}},
		{"windows", serviceState{dir: `C:\x`, device: dev}, "windows", []string{"runs as LocalSystem"}},
	}
	for _, tt := range tests {
		got := tt.st.describe("h", tt.goos)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.name, got, w)
			}
		}
	}
}

func TestMkdirOwned(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no sudo installs, and no file owners, on Windows")
	}
	me := &installers.Account{Name: "me", UID: os.Getuid(), GID: os.Getgid()}
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	if err := mkdirOwned(dir, me); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(filepath.Dir(dir)), filepath.Dir(dir), dir} {
		fi, err := os.Stat(p)
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want a 0700 directory", p, fi, err)
			continue
		}
		if uid, ok := fileOwner(fi); !ok || uid != me.UID {
			t.Errorf("%s owned by %d, want %d", p, uid, me.UID)
		}
	}
	if err := mkdirOwned(dir, me); err != nil {
		t.Errorf("again: %v", err)
	}
}
