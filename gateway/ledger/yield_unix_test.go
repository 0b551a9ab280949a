//go:build unix

package ledger

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// parkedReader starts a goroutine parked reading an empty pipe, on the
// poller, then makes it readable: with one P, the reader runs only once
// the scheduler polls. ran reports whether it has.
func parkedReader(t *testing.T) (ran *atomic.Bool) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	ran = new(atomic.Bool)
	parked := make(chan struct{})
	go func() {
		close(parked)
		var b [1]byte
		r.Read(b[:])
		ran.Store(true)
	}()
	<-parked
	runtime.Gosched() // the reader goes on into Read and parks
	if _, err := w.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	return ran
}

// TestNetYieldRunsGoroutinesTheNetworkWoke: a goroutine whose data has
// arrived runs at the caller's yield, though it was not runnable when the
// yield began. runtime.Gosched does not do that (the test fails with it):
// the scheduler polls only when nothing else can run, and the caller can.
func TestNetYieldRunsGoroutinesTheNetworkWoke(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	y := newNetYield()
	defer y.close()
	ran := parkedReader(t)
	if ran.Load() {
		t.Skip("the reader ran before the yield; nothing to show")
	}
	// One yield should do; the machine's other threads (sysmon's poll,
	// another process taking the CPU between two steps) may reorder a
	// scheduling now and then, so a few are allowed.
	if n := yieldsUntil(y, ran); n > 3 {
		t.Fatalf("the woken reader did not run in %d yields", n)
	}
	// And again: every yield waits for its own poll.
	ran = parkedReader(t)
	if n := yieldsUntil(y, ran); n > 3 {
		t.Fatalf("the second woken reader did not run in %d yields", n)
	}
}

// yieldsUntil yields until ran, at most 100 times, and says how many
// yields that took.
func yieldsUntil(y *netYield, ran *atomic.Bool) int {
	n := 0
	for !ran.Load() && n < 100 {
		y.yield()
		n++
	}
	return n
}

// TestPacerYieldsAfterItsTime: pause lets the woken goroutine run once
// the task has had yieldEvery of the CPU, and not before.
func TestPacerYieldsAfterItsTime(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := pacer{y: newNetYield(), every: yieldEvery}
	defer p.y.close()
	ran := parkedReader(t)
	p.start()
	p.pause() // at once: too soon to yield
	if ran.Load() {
		t.Skip("the reader ran without a yield (a poll came in between); nothing to show")
	}
	for i := 0; i < 3 && !ran.Load(); i++ {
		p.last = p.last.Add(-yieldEvery) // the task has run its time
		p.pause()
	}
	if !ran.Load() {
		t.Fatal("pause after yieldEvery did not let the woken reader run")
	}
	var idle pacer // no netYield: never yields
	idle.start()
	idle.pause()
}

// TestNetYieldBrokenPipe: a broken pipe falls back to Gosched instead of
// blocking the caller.
func TestNetYieldBrokenPipe(t *testing.T) {
	y := newNetYield()
	defer y.close()
	y.r.Close()
	y.yield() // the read fails: falls back
	if y.ok {
		t.Fatal("a failed read left the pipe in use")
	}
	y.yield() // Gosched, no kick
}

// TestNetYieldAfterClose: a yield after close falls back to Gosched; it
// does not send on the closed kick channel (a panic).
func TestNetYieldAfterClose(t *testing.T) {
	y := newNetYield()
	y.close()
	y.yield()
	y.close() // twice: harmless
	if y.n != 1 {
		t.Errorf("%d yields counted, want 1", y.n)
	}
}

// TestPacerPauseHasABudget: while goroutines that never wait on the
// network keep the only CPU, the scheduler polls only every 10 ms, so each
// yield lasts that long and none finds a gap; a pause stops once it has
// taken pauseBudget instead of going on for idleTries of them (80 ms,
// with the transaction open).
func TestPacerPauseHasABudget(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	stop := make(chan struct{})
	var hogs sync.WaitGroup
	for range 2 {
		hogs.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for t0 := time.Now(); time.Since(t0) < 50*time.Microsecond; {
				}
				runtime.Gosched()
			}
		})
	}
	defer hogs.Wait()
	defer close(stop)
	p := pacer{y: newNetYield(), every: yieldEvery, backlog: func() int { return 0 }}
	defer p.y.close()
	p.fastest = time.Nanosecond // no yield looks like a gap
	p.last = time.Now().Add(-yieldEvery)
	t0 := time.Now()
	p.pause()
	took := time.Since(t0)
	if p.y.n == idleTries {
		t.Errorf("the pause took all %d yields (%v)", idleTries, took)
	}
}
