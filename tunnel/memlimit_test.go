package tunnel

import (
	"runtime/debug"
	"testing"
)

func TestSetDefaultMemoryLimitCapsTheWindowOnlyUnderItsOwnLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	tests := []struct {
		name, gomemlimit string
		window           int
		limit            int64
	}{
		{"default", "", LimitedReceiveWindow, DefaultMemoryLimit},
		{"user's GOMEMLIMIT", "off", 0, -1}, // -1: the limit is left as it was
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.gomemlimit)
			before := debug.SetMemoryLimit(-1)
			if got := SetDefaultMemoryLimit(); got != tt.window {
				t.Errorf("receive window %d, want %d", got, tt.window)
			}
			want := tt.limit
			if want == -1 {
				want = before
			}
			if got := debug.SetMemoryLimit(-1); got != want {
				t.Errorf("memory limit %d, want %d", got, want)
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
