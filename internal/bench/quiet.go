package main

import (
	"context"
	"fmt"
	"time"
)

// A server that shares its CPU with another server under test must be
// done with the work a block left it before the other's block starts, or
// that work is timed as the other's latency. The gateway has such work:
// the index round of the block's last rows, the WAL checkpoint that
// copies them into the database (within two 250 ms polls of the last
// round, once the gateway is quiet), and the retirement of the row log
// segment, a second after it was opened (gateway/ledger).
const (
	// quietWindow is how long the server must stay (nearly) idle: longer
	// than the gateway's segment age and its wait before a checkpoint, so
	// that whatever those timers would do about the block has been done
	// within the window, not still to come.
	quietWindow = 1100 * time.Millisecond
	// quietCPU is the CPU a server may use in a window and still be
	// idle: its timers, not work (an idle gateway's checkpoint, every
	// 5 s with nothing to copy, takes about a millisecond).
	quietCPU = 5 * time.Millisecond
	// quietLimit bounds the wait.
	quietLimit = 5 * time.Second
	// quietPoll is how often the server's CPU time is read.
	quietPoll = 20 * time.Millisecond
)

// quietWaiter waits until a process has used less than cpu of CPU time
// over a whole window, reading its CPU time with read.
type quietWaiter struct {
	read         func() (time.Duration, error)
	window, poll time.Duration
	cpu          time.Duration
	limit        time.Duration
}

// processQuiet is the quietWaiter of process pid, with the defaults.
func processQuiet(pid int) func(context.Context) error {
	w := quietWaiter{read: func() (time.Duration, error) { return processCPU(pid) },
		window: quietWindow, poll: quietPoll, cpu: quietCPU, limit: quietLimit}
	return w.wait
}

// wait returns once the process has been idle for a window, or an error
// after limit, or when ctx ends.
func (w quietWaiter) wait(ctx context.Context) error {
	type sample struct {
		at  time.Time
		cpu time.Duration
	}
	start := time.Now()
	var hist []sample
	for {
		cpu, err := w.read()
		if err != nil {
			return fmt.Errorf("waiting for the server to go quiet: %w", err)
		}
		now := time.Now()
		hist = append(hist, sample{now, cpu})
		// hist[0] is the newest sample at least a window old.
		for len(hist) > 1 && now.Sub(hist[1].at) >= w.window {
			hist = hist[1:]
		}
		if now.Sub(hist[0].at) >= w.window && cpu-hist[0].cpu < w.cpu {
			return nil
		}
		if now.Sub(start) >= w.limit {
			return fmt.Errorf("still busy after %v (%v of CPU in the last %v): its next block starts anyway",
				w.limit, cpu-hist[0].cpu, now.Sub(hist[0].at).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.poll):
		}
	}
}
