package app

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// releaseStartupPages unmaps the pages of the aperture binary that are
// resident once the gateway has started, and returns how many bytes that
// was.
//
// Measured (issue #16): idle, the gateway's RSS is ~34 MiB, of which ~29
// MiB are pages of its own 60 MB binary and only ~5 MiB its memory. Go
// runs every linked package's initializer at start (tailscale.com alone
// is hundreds of packages), each touching a page or two of code and
// constant data in its package's part of the file, and the kernel maps
// 64 KiB around each touched page (fault-around): nearly the whole image
// ends up counted in RSS, though serving requests uses well under a third
// of it again (~18-21 MiB under load at concurrency 50). Unmapping them
// after start makes RSS the gateway's working set: what serving touches
// comes back (minor faults, from the page cache, which keeps the pages);
// what only startup needed stays out. It frees no memory the system
// could not reclaim anyway, since the pages are clean file cache; it
// keeps the gateway's reported footprint honest, and leaves the pages as
// unmapped cache, which the kernel reclaims first under pressure.
func releaseStartupPages() (int64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("finding the executable: %w", err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("reading the memory map: %w", err)
	}
	var released int64
	for _, m := range droppableImagePages(parseSmaps(smaps), exe) {
		// MADV_DONTNEED on a clean private file mapping drops the page
		// table entries only; the contents are the file's.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("unmapping %x-%x: %w", m.start, m.end, errno)
		}
		released += m.rss
	}
	return released, nil
}
