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

// SetDefaultMemoryLimit applies DefaultMemoryLimit unless the user set
// GOMEMLIMIT.
func SetDefaultMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
}
