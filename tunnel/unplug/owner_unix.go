//go:build !windows

package unplug

import (
	"io/fs"
	"syscall"
)

// fileOwner is the owner's uid of fi.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
