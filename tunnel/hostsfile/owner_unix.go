//go:build !windows

package hostsfile

import (
	"errors"
	"os"
	"syscall"
)

// keepOwner gives tmp the owner and group of path, so the replaced hosts
// file stays root's (or whoever's it was) whoever edits it.
func keepOwner(path, tmp string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid() {
		return nil
	}
	return os.Lchown(tmp, int(st.Uid), int(st.Gid))
}

// isBusy reports a rename refused because the target is a mount point.
func isBusy(err error) bool { return errors.Is(err, syscall.EBUSY) }

// openNoFollow opens path for rewriting, refusing a symlink put there
// since it was checked.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_TRUNC|syscall.O_NOFOLLOW, 0)
}
