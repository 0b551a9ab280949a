package unplug

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tsplug/ts-plug/installers"
	"tailscale.com/ipn"
)

// One machine, one device: a service must not be a second device beside
// the one a foreground run already logged in and an admin approved. So
// `sudo ts-unplug install` uses the state directory of the user who ran
// sudo (not root's) and the system service runs as that user: it is the
// same device, needs no new login, and `ts-unplug status` without sudo
// reads its status socket, which belongs to that user. Without sudo (a
// root shell, Windows) and for --user services, the state directory is
// the one a foreground run in the same shell uses.

// serviceState is where an installed service keeps its device, and whom
// it runs as.
type serviceState struct {
	dir string
	// runAs is the account the system service runs as; nil means the
	// service manager's default (root, or LocalSystem on Windows).
	runAs *installers.Account
	// device is what dir already holds; nil when it holds no device yet.
	device *savedDevice
}

// stateInputs is what chooseServiceState decides from.
type stateInputs struct {
	dirFlag     string // -dir as given; "" for the default
	runDir      string // the state dir a run in this process would use (-dir made absolute, or the default)
	hostname    string
	userService bool // --user
	goos        string
	// invoker is the user behind sudo; nil when not under sudo.
	invoker *installers.Account
	// ownerUID reports the owner of path, or of its nearest existing
	// parent when path does not exist yet.
	ownerUID func(path string) (uid int, ok bool)
}

// chooseServiceState decides the state directory and account of the
// service `install` sets up; see the comment at the top of this file.
// With -dir under sudo, the service runs as the invoker only when the
// directory is theirs (it, or where it would be created, belongs to
// them), else as root.
func chooseServiceState(in stateInputs) serviceState {
	if in.userService || in.invoker == nil {
		return serviceState{dir: in.runDir}
	}
	inv := *in.invoker
	if in.dirFlag == "" {
		dir := in.runDir
		// sudo -E, or a sudo that keeps HOME, already gave the invoker's
		// directory; otherwise it is the default in their home.
		if !within(dir, inv.Home) {
			dir = filepath.Join(userConfigDir(inv.Home, in.goos), "ts-unplug", in.hostname)
		}
		return serviceState{dir: dir, runAs: &inv}
	}
	if uid, ok := in.ownerUID(in.runDir); ok && uid == inv.UID {
		return serviceState{dir: in.runDir, runAs: &inv}
	}
	return serviceState{dir: in.runDir}
}

// userConfigDir is os.UserConfigDir for a user whose home is home:
// without $XDG_CONFIG_HOME, which sudo does not pass on.
func userConfigDir(home, goos string) string {
	if goos == "darwin" {
		return filepath.Join(home, "Library", "Application Support")
	}
	return filepath.Join(home, ".config")
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// savedDevice is the tailnet device a state directory holds.
type savedDevice struct {
	Hostname  string // the name it asked for
	LoginName string // the account that logged it in ("tagged-devices" when tagged)
	Tailnet   string // the tailnet's name, e.g. example.com
}

// readSavedDevice reads the device tsnet saved in dir (tailscaled.state:
// the current login profile and its prefs). ok is false when dir holds no
// device that has logged in, so a service using it will need a login.
func readSavedDevice(dir string) (dev savedDevice, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, "tailscaled.state"))
	if errors.Is(err, fs.ErrNotExist) {
		return savedDevice{}, false, nil
	}
	if err != nil {
		return savedDevice{}, false, fmt.Errorf("reading device state: %w", err)
	}
	var store map[ipn.StateKey][]byte
	if err := json.Unmarshal(b, &store); err != nil {
		return savedDevice{}, false, fmt.Errorf("reading device state %s: %w", filepath.Join(dir, "tailscaled.state"), err)
	}
	var profiles map[ipn.ProfileID]ipn.LoginProfile
	if raw, found := store[ipn.KnownProfilesStateKey]; found {
		if err := json.Unmarshal(raw, &profiles); err != nil {
			return savedDevice{}, false, fmt.Errorf("reading device profiles: %w", err)
		}
	}
	current := ipn.StateKey(store[ipn.CurrentProfileStateKey])
	var prof *ipn.LoginProfile
	for _, p := range profiles {
		if p.Key == current || len(profiles) == 1 {
			prof = &p
			break
		}
	}
	if prof == nil || prof.NodeID == "" {
		return savedDevice{}, false, nil
	}
	var prefs struct{ Hostname string }
	json.Unmarshal(store[prof.Key], &prefs) // no prefs: the name stays unknown
	login := prof.UserProfile.LoginName
	if login == "" {
		login = prof.Name
	}
	return savedDevice{Hostname: prefs.Hostname, LoginName: login, Tailnet: prof.NetworkProfile.DomainName}, true, nil
}

// describe says what the service will use, in the words install prints.
func (st serviceState) describe(hostname, goos string) string {
	var b strings.Builder
	if d := st.device; d != nil {
		fmt.Fprintf(&b, "using the device state in %s (already logged in", st.dir)
		if d.LoginName != "" {
			fmt.Fprintf(&b, " as %s", d.LoginName)
		}
		if d.Hostname != "" {
			fmt.Fprintf(&b, ", device %s", d.Hostname)
		}
		if d.Tailnet != "" {
			fmt.Fprintf(&b, " on tailnet %s", d.Tailnet)
		}
		b.WriteString("): the same device as a foreground run, no new login or approval")
	} else {
		fmt.Fprintf(&b, "no device in %s yet: the service logs in as new device %s (`ts-unplug status` shows how), "+
			"and a foreground run uses the same device", st.dir, hostname)
	}
	switch {
	case st.runAs != nil:
		fmt.Fprintf(&b, "; the service runs as user %s, so `ts-unplug status` works without sudo", st.runAs.Name)
	case goos == "windows":
		b.WriteString("; the service runs as LocalSystem")
	default:
		// A root service's state (and status socket) is root's alone.
		b.WriteString("; the service runs as root, so its status needs `sudo ts-unplug status`")
	}
	return b.String()
}

// ownerUIDOf is stateInputs.ownerUID for this machine.
func ownerUIDOf(path string) (int, bool) {
	for p := path; ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			return fileOwner(fi)
		}
		if filepath.Dir(p) == p {
			return 0, false
		}
	}
}

// mkdirOwned creates dir (0700) and any missing parents owned by acct,
// so that a service running as acct can write its state there; a root
// install would otherwise leave root-owned directories in their home.
func mkdirOwned(dir string, acct *installers.Account) error {
	if acct == nil {
		return os.MkdirAll(dir, 0o700)
	}
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := os.Lchown(missing[i], acct.UID, acct.GID); err != nil {
			return fmt.Errorf("giving %s to %s: %w", missing[i], acct.Name, err)
		}
	}
	return nil
}
