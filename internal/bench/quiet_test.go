package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeCPU is a process clock that advances by step at each read until
// busyReads reads have been taken, then stays.
type fakeCPU struct {
	reads, busyReads int
	step, cpu        time.Duration
}

func (f *fakeCPU) read() (time.Duration, error) {
	f.reads++
	if f.reads <= f.busyReads {
		f.cpu += f.step
	}
	return f.cpu, nil
}

func TestQuietWaiter(t *testing.T) {
	const window, poll = 60 * time.Millisecond, 5 * time.Millisecond
	for _, tc := range []struct {
		name      string
		busyReads int
		step      time.Duration
		wantErr   bool
		minWait   time.Duration
	}{
		{name: "idle at once: one window", busyReads: 0, step: time.Millisecond, minWait: window},
		// Busy for 20 reads (19 polls apart), each a step of the
		// threshold: the window can only start at the 20th.
		{name: "busy then idle", busyReads: 20, step: 2 * time.Millisecond, minWait: 19*poll + window},
		// Under the threshold: timers, not work.
		{name: "timers only", busyReads: 1000, step: time.Microsecond, minWait: window},
		{name: "never idle", busyReads: 1 << 30, step: time.Millisecond, wantErr: true, minWait: 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeCPU{busyReads: tc.busyReads, step: tc.step}
			w := quietWaiter{read: f.read, window: window, poll: poll, cpu: 2 * time.Millisecond, limit: 300 * time.Millisecond}
			start := time.Now()
			err := w.wait(context.Background())
			took := time.Since(start)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if took < tc.minWait {
				t.Errorf("returned after %v, before %v", took, tc.minWait)
			}
			if tc.wantErr && !strings.Contains(err.Error(), "still busy") {
				t.Errorf("error %q does not say the server stayed busy", err)
			}
		})
	}
}

func TestQuietWaiterStopsWithContext(t *testing.T) {
	f := &fakeCPU{busyReads: 1 << 30, step: time.Millisecond}
	w := quietWaiter{read: f.read, window: time.Second, poll: time.Millisecond, cpu: time.Millisecond, limit: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := w.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
}

func TestQuietWaiterReadError(t *testing.T) {
	boom := errors.New("no such process")
	w := quietWaiter{read: func() (time.Duration, error) { return 0, boom }, window: time.Second, poll: time.Millisecond, cpu: time.Millisecond, limit: time.Hour}
	if err := w.wait(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}
