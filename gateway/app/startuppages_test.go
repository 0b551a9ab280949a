package app

import (
	"slices"
	"testing"
)

// smapsSample is a trimmed /proc/PID/smaps of a Go binary (text, rodata,
// data), an anonymous region, a read-only mapping with a copy-on-write
// page in it, libc and a path with a space.
const smapsSample = `00400000-0152b000 r-xp 00000000 fe:00 9994820                            /opt/aperture
Size:              18092 kB
Rss:               14996 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
0152b000-02960000 r--p 0112b000 fe:00 9994820                            /opt/aperture
Rss:               12308 kB
Anonymous:             0 kB
02960000-02a28000 rw-p 02560000 fe:00 9994820                            /opt/aperture
Rss:                 684 kB
Anonymous:           120 kB
02a28000-04a80000 rw-p 00000000 00:00 0 
Rss:                 148 kB
Anonymous:           148 kB
04a80000-04a90000 r--p 02628000 fe:00 9994820                            /opt/aperture
Rss:                  64 kB
Anonymous:             4 kB
04a90000-04aa0000 r--p 02638000 fe:00 9994820                            /opt/aperture
Rss:                   0 kB
Anonymous:             0 kB
7fc1d499f000-7fc1d4af5000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 900 kB
Anonymous:             0 kB
7fc1d5000000-7fc1d5010000 r--p 00000000 fe:00 1234                       /opt/my apps/aperture
Rss:                  64 kB
Anonymous:             0 kB
THPeligible:           0
`

func TestParseSmaps(t *testing.T) {
	ms := parseSmaps([]byte(smapsSample))
	want := []mapping{
		{0x400000, 0x152b000, "r-xp", "/opt/aperture", 14996 << 10, 0},
		{0x152b000, 0x2960000, "r--p", "/opt/aperture", 12308 << 10, 0},
		{0x2960000, 0x2a28000, "rw-p", "/opt/aperture", 684 << 10, 120 << 10},
		{0x2a28000, 0x4a80000, "rw-p", "", 148 << 10, 148 << 10},
		{0x4a80000, 0x4a90000, "r--p", "/opt/aperture", 64 << 10, 4 << 10},
		{0x4a90000, 0x4aa0000, "r--p", "/opt/aperture", 0, 0},
		{0x7fc1d499f000, 0x7fc1d4af5000, "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 900 << 10, 0},
		{0x7fc1d5000000, 0x7fc1d5010000, "r--p", "/opt/my apps/aperture", 64 << 10, 0},
	}
	if !slices.Equal(ms, want) {
		t.Errorf("parseSmaps:\n got %+v\nwant %+v", ms, want)
	}
}

func TestDroppableImagePages(t *testing.T) {
	ms := parseSmaps([]byte(smapsSample))
	tests := []struct {
		exe  string
		want []uintptr // starts of the mappings to drop
	}{
		// Text and rodata only: not the writable data, not the read-only
		// mapping holding a private copy, not what is not resident, not
		// libc's.
		{"/opt/aperture", []uintptr{0x400000, 0x152b000}},
		{"/opt/my apps/aperture", []uintptr{0x7fc1d5000000}},
		{"/elsewhere/aperture", nil},
	}
	for _, tt := range tests {
		var got []uintptr
		for _, m := range droppableImagePages(ms, tt.exe) {
			got = append(got, m.start)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("droppableImagePages(%q) = %#x, want %#x", tt.exe, got, tt.want)
		}
	}
}
