//go:build !unix

package ledger

import "runtime"

// netYield, where Go's poller does not watch pipes, only lets the
// goroutines already runnable go first.
type netYield struct {
	n int // yields so far
}

func newNetYield() *netYield { return &netYield{} }
func (y *netYield) yield()   { y.n++; runtime.Gosched() }
func (*netYield) close()     {}
