package ledger

import (
	"testing"
	"time"
)

func TestPacerGap(t *testing.T) {
	var p pacer
	for _, tt := range []struct {
		took time.Duration
		gap  bool
	}{
		{10 * time.Microsecond, true},  // the first is the fastest so far
		{30 * time.Microsecond, false}, // others ran meanwhile
		{25 * time.Microsecond, true},  // within twice the fastest, and 5 µs
		{4 * time.Microsecond, true},   // a new fastest
		{14 * time.Microsecond, false},
	} {
		if got := p.gap(tt.took); got != tt.gap {
			t.Errorf("a yield of %v: gap = %v, want %v", tt.took, got, tt.gap)
		}
	}
}

// TestPacerBehindYieldsOnce: a late task does not wait for a gap between
// requests, which under full load does not come.
func TestPacerBehindYieldsOnce(t *testing.T) {
	asked := 0
	p := pacer{y: newNetYield(), behind: func() bool { asked++; return true }}
	defer p.y.close()
	p.fastest = time.Nanosecond // no yield looks like a gap
	for range 3 {
		p.last = time.Now().Add(-yieldEvery)
		p.pause()
	}
	if p.y.n != 3 || asked != 3 {
		t.Errorf("3 pauses while behind: %d yields, behind asked %d times; want 3 and 3", p.y.n, asked)
	}
}

func TestPacerZeroNeverYields(t *testing.T) {
	var p pacer
	p.start()
	p.last = time.Now().Add(-time.Second)
	p.pause() // no netYield: must not panic or block
}
