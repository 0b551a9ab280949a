package installers

import (
	"fmt"
	"strconv"
)

// Account is a local user account.
type Account struct {
	Name     string
	UID, GID int
	Home     string
}

// SudoInvoker returns the account that ran this process with sudo, when
// it runs as root under sudo: the user behind `sudo ts-unplug install`,
// whose own state directory and device the service should use rather
// than root's. ok is false outside sudo, for `sudo` run by root itself,
// and on Windows; err says why a named $SUDO_USER could not be looked up.
func SudoInvoker() (acct Account, ok bool, err error) {
	name := sys.sudoUser()
	if sys.goos == "windows" || name == "" || name == "root" || !sys.privileged() {
		return Account{}, false, nil
	}
	u, err := sys.lookupUser(name)
	if err != nil {
		return Account{}, false, fmt.Errorf("looking up $SUDO_USER %q: %w", name, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil || u.HomeDir == "" {
		return Account{}, false, fmt.Errorf("looking up $SUDO_USER %q: uid %q, gid %q, home %q are not usable", name, u.Uid, u.Gid, u.HomeDir)
	}
	return Account{Name: u.Username, UID: uid, GID: gid, Home: u.HomeDir}, true, nil
}
