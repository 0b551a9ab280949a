//go:build unix

package ledger

import (
	"os"
	"runtime"
)

// netYield makes its caller wait for the scheduler's next look at the
// network, so that every goroutine the network has woken runs first
// (those already runnable run first anyway).
//
// The caller parks reading an empty pipe, which Go's poller watches; a
// helper goroutine, woken by the caller and run ahead of the queue,
// writes a byte into it. The caller becomes runnable again only when the
// scheduler polls the network, which it does once nothing else is
// runnable; the same poll queues the requests whose data arrived
// meanwhile, and the caller then goes behind them. On several CPUs the
// write may land before the read and the yield costs two syscalls and
// no wait.
//
// One goroutine at a time may yield: each yield reads the one byte its
// own kick writes.
type netYield struct {
	r, w  *os.File
	kick  chan struct{}
	in    [1]byte
	one   [1]byte
	ok    bool // the pipe works and is open; false: runtime.Gosched
	n     int  // yields so far
	wrote chan struct{}
}

func newNetYield() *netYield {
	y := &netYield{kick: make(chan struct{}), wrote: make(chan struct{})}
	r, w, err := os.Pipe()
	if err != nil {
		return y
	}
	y.r, y.w, y.ok = r, w, true
	go y.writer()
	return y
}

// writer writes a byte for each kick, until close.
func (y *netYield) writer() {
	defer close(y.wrote)
	for range y.kick {
		if _, err := y.w.Write(y.one[:]); err != nil {
			y.w.Close() // the reader sees the end and falls back
			for range y.kick {
			}
			return
		}
	}
}

// yield returns once the scheduler has polled the network.
func (y *netYield) yield() {
	y.n++
	if !y.ok {
		runtime.Gosched()
		return
	}
	y.kick <- struct{}{}
	if _, err := y.r.Read(y.in[:]); err != nil {
		y.ok = false // a closed or broken pipe: fall back
	}
	// The poll that woke us queued the others, but ran us first (the
	// last goroutine it finds ready runs at once). Go behind them; twice,
	// as one scheduling in 61 takes the global queue, where Gosched puts
	// us, ahead of the local one, where they are.
	runtime.Gosched()
	runtime.Gosched()
}

// close stops the writer and closes the pipe; a yield after it falls
// back to runtime.Gosched. No yield may run during it.
func (y *netYield) close() {
	if y.r == nil {
		return
	}
	close(y.kick)
	<-y.wrote
	y.r.Close()
	y.w.Close()
	y.r, y.ok = nil, false
}
