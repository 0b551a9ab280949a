package tunnel

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestSetDefaultMemoryLimitCapsTheWindowOnlyUnderItsOwnLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	tests := []struct {
		name, gomemlimit string
		runtime          int64 // the limit the runtime read from GOMEMLIMIT at start
		window           int
		limit            int64
	}{
		{"default", "", math.MaxInt64, LimitedReceiveWindow, DefaultMemoryLimit},
		{"GOMEMLIMIT=off", "off", math.MaxInt64, 0, math.MaxInt64},
		{"GOMEMLIMIT=2GiB", "2GiB", 2 << 30, 0, 2 << 30},
		// A lower limit (a small container) keeps a smaller window: the
		// cap must not come off with it.
		{"GOMEMLIMIT=64MiB", "64MiB", 64 << 20, 512 << 10, 64 << 20},
		{"GOMEMLIMIT=512MiB", "512MiB", 512 << 20, 4 << 20, 512 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.gomemlimit)
			debug.SetMemoryLimit(tt.runtime)
			if got := SetDefaultMemoryLimit(); got != tt.window {
				t.Errorf("receive window %d, want %d", got, tt.window)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.limit {
				t.Errorf("memory limit %d, want %d", got, tt.limit)
			}
		})
	}
}

// The window's arithmetic: ~51 windows of wireguard-go packet buffers
// must fit in half the limit, or the GC runs back to back.
func TestLimitedReceiveWindowFitsTheMemoryLimit(t *testing.T) {
	const bufferPerPacket, packet = 65535, 1280
	live := LimitedReceiveWindow / packet * bufferPerPacket
	if live > DefaultMemoryLimit/2 {
		t.Errorf("a %d-byte window can hold %d MiB of packet buffers, more than half the %d MiB limit",
			LimitedReceiveWindow, live>>20, DefaultMemoryLimit>>20)
	}
}
