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

// TestPacerTries: the longer the backlog, the less the task gives way:
// under full load the gaps between requests do not come, and a task
// that yields there falls further behind, holding its backlog in memory.
func TestPacerTries(t *testing.T) {
	for _, tt := range []struct {
		backlog int
		want    int
	}{
		{0, idleTries}, {behindRows - 1, idleTries},
		{behindRows, 1}, {lateRows - 1, 1},
		{lateRows, 0}, {10 * lateRows, 0},
	} {
		p := pacer{y: newNetYield(), backlog: func() int { return tt.backlog }}
		if got := p.tries(); got != tt.want {
			t.Errorf("backlog %d: %d tries, want %d", tt.backlog, got, tt.want)
		}
		// And pause takes no more than that, though no yield finds a gap.
		p.fastest = time.Nanosecond
		p.last = time.Now().Add(-yieldEvery)
		p.pause()
		p.y.close()
		if tt.want <= 1 && p.y.n != tt.want {
			t.Errorf("backlog %d: pause yielded %d times, want %d", tt.backlog, p.y.n, tt.want)
		}
		if p.y.n > tt.want || p.y.n < min(tt.want, 1) {
			t.Errorf("backlog %d: pause yielded %d times, want 1 to %d", tt.backlog, p.y.n, tt.want)
		}
	}
	if got := (&pacer{y: &netYield{}}).tries(); got != 1 {
		t.Errorf("no backlog (a ledger without a row log): %d tries, want 1", got)
	}
}

func TestPacerZeroNeverYields(t *testing.T) {
	var p pacer
	p.start()
	p.last = time.Now().Add(-time.Second)
	p.pause() // no netYield: must not panic or block
}
