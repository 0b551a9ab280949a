package tunnel

import (
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the soft heap limit of ts-unplug and ts-plug.
//
// Bulk transfers through tsnet's userspace network stack churn through
// packet buffers (gVisor and wireguard-go pools) much faster than Go's
// default GC pacing frees them: a 400 MB upload through ts-unplug peaked at
// 370 MB RSS with none of it live data. A soft limit makes the GC collect
// earlier; the same transfer then peaks near 90 MB. It is soft: a process
// that truly needs more still gets it.
const DefaultMemoryLimit = 128 << 20

// LimitedReceiveWindow is the largest TCP receive window of a node that
// runs under DefaultMemoryLimit (NodeConfig.MaxReceiveWindow).
//
// wireguard-go holds every received packet, until the network stack has
// taken it, in a buffer of its own of 64 KiB (its largest UDP datagram):
// about 51 times the packet's 1280 bytes. The data a peer may have in
// flight to this node is bounded by the receive window, so the live heap
// of a download grows to ~51 windows. tailscale's default window (up to
// 8 MiB) put ~160 MB live at full speed, over the limit: the GC then ran
// back to back, freed the buffer pools it had just filled and returned
// their pages, and the profile of a pinned download was a third zeroing
// fresh 64 KiB buffers and a fifth madvise (45 MB/s, 15 ms CPU per MB, at
// times 21 MB/s). A 1 MiB window keeps the live heap near 60 MB, half the
// limit: 3-4 ms CPU per MB. It bounds one connection's download to
// 1 MiB per round trip (50 MB/s at 20 ms, 10 MB/s at 100 ms); a user who
// wants more raises GOMEMLIMIT, and the window grows with it.
const LimitedReceiveWindow = 1 << 20

// SetDefaultMemoryLimit applies DefaultMemoryLimit unless the user set
// GOMEMLIMIT, and returns the receive window that keeps a download's
// packet buffers (~51 windows, per connection) within half of the limit
// in force: LimitedReceiveWindow under the default, smaller under a lower
// GOMEMLIMIT (a small container), larger under a higher one, and 0
// (tailscale's default, up to 8 MiB) from 1 GiB or with no limit.
func SetDefaultMemoryLimit() (maxReceiveWindow int) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	return receiveWindowFor(debug.SetMemoryLimit(-1))
}

// receiveWindowFor is the receive window for a memory limit of limit
// bytes: limit/128 (so ~51 windows take 40 % of it), at least 64 KiB,
// and no cap from 1 GiB.
func receiveWindowFor(limit int64) int {
	if limit >= 1<<30 {
		return 0
	}
	return int(max(limit/128, 64<<10))
}
