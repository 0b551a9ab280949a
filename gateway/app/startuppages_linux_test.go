package app

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssFile is this process's resident file-backed memory, from
// /proc/self/status.
func rssFile(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseStartupPages runs it on the test binary, which links the
// gateway and tailscale.com as aperture does and so has touched most of
// its image in initializers: its file-backed RSS must fall by most of
// what was released, and the process keep running (the code it goes on
// to run comes back from the page cache).
func TestReleaseStartupPages(t *testing.T) {
	before := rssFile(t)
	released, err := releaseStartupPages()
	if err != nil {
		t.Fatal(err)
	}
	after := rssFile(t)
	t.Logf("file-backed RSS %d KiB -> %d KiB, %d KiB released", before>>10, after>>10, released>>10)
	if released < 4<<20 {
		t.Errorf("released %d KiB of the test binary's image, want several MiB", released>>10)
	}
	if before-after < released/2 {
		t.Errorf("file-backed RSS fell by %d KiB, want most of the %d KiB released", (before-after)>>10, released>>10)
	}
	// Still runs: parsing and the test framework fault their pages back.
	if ms := parseSmaps([]byte(smapsSample)); len(ms) == 0 {
		t.Error("parseSmaps after the release found nothing")
	}
}
