package app

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// keepStartupPagesEnv, when set to anything, keeps the startup-only pages
// of the binary mapped (see releaseStartupPages).
const keepStartupPagesEnv = "APERTURE_KEEP_STARTUP_PAGES"

// mapping is one region of a process's address space, from
// /proc/PID/smaps.
type mapping struct {
	start, end uintptr
	perms      string // "r-xp", "r--p", "rw-p", ...
	path       string // the mapped file; empty for anonymous memory
	rss        int64  // bytes resident
	anonymous  int64  // bytes of private copies (copy-on-write) in it
}

// parseSmaps reads the mappings of a /proc/PID/smaps text. Lines it does
// not know are skipped, so a kernel that adds fields does not break it.
func parseSmaps(text []byte) []mapping {
	var ms []mapping
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if m, ok := parseMapsHeader(line); ok {
			ms = append(ms, m)
			continue
		}
		if len(ms) == 0 {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "Rss" && key != "Anonymous") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "kB")), 10, 64)
		if err != nil {
			continue
		}
		if key == "Rss" {
			ms[len(ms)-1].rss = kb << 10
		} else {
			ms[len(ms)-1].anonymous = kb << 10
		}
	}
	return ms
}

// parseMapsHeader parses the first line of a smaps entry, as in
// /proc/PID/maps: "start-end perms offset dev inode [path]".
func parseMapsHeader(line string) (mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 5 || strings.HasSuffix(f[0], ":") {
		return mapping{}, false
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok || len(f[1]) != 4 {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || end <= start {
		return mapping{}, false
	}
	m := mapping{start: uintptr(start), end: uintptr(end), perms: f[1]}
	if len(f) >= 6 {
		// A path may hold spaces; the kernel prints it last.
		m.path = strings.Join(f[5:], " ")
	}
	return m, true
}

// droppableImagePages are the mappings of the executable exe whose
// resident pages can be unmapped without losing anything: read-only (code
// and constant data), with no private copy-on-write pages (a debugger's
// breakpoints, a position-independent binary's relocated read-only data),
// which unmapping would throw away. Their pages are the file's, still in
// the page cache, so any that run again come back with a minor fault.
func droppableImagePages(ms []mapping, exe string) []mapping {
	var out []mapping
	for _, m := range ms {
		if m.path != exe || m.rss == 0 || m.anonymous != 0 || strings.ContainsRune(m.perms, 'w') {
			continue
		}
		out = append(out, m)
	}
	return out
}
