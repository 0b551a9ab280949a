package gateway

import (
	"fmt"
	"testing"
	"time"
)

// TestIDGen: IDs read as fmt.Sprintf("%012x%08x%06x") wrote them (the
// millisecond time, the process prefix, a 24-bit counter), and making
// one takes only the string (Sprintf took two allocations).
func TestIDGen(t *testing.T) {
	var g idGen
	g.once.Do(func() {})
	for _, tt := range []struct {
		now    time.Time
		prefix uint32
		n      uint64 // the counter before the call
	}{
		{time.UnixMilli(0), 0, 0},
		{time.UnixMilli(1_765_000_000_123), 0xdeadbeef, 41},
		{time.UnixMilli(1<<48 - 1), 0xffffffff, 0xffffff}, // the counter wraps to 0
		{time.UnixMilli(1_765_000_000_123), 7, 1<<24 + 9}, // only its low 24 bits show
	} {
		g.prefix = tt.prefix
		g.n.Store(tt.n)
		want := fmt.Sprintf("%012x%08x%06x", tt.now.UnixMilli(), tt.prefix, (tt.n+1)&0xffffff)
		if got := g.next(tt.now); got != want {
			t.Errorf("next(%v) with prefix %x, counter %d = %q, want %q", tt.now, tt.prefix, tt.n, got, want)
		}
	}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { g.next(now) }); n > 1 {
		t.Errorf("next: %v allocations, want 1", n)
	}
}
