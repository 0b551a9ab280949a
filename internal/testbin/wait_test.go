package testbin

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fatalRecorder is a testing.TB whose Fatalf records the message and
// ends the goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

// runWait runs WaitUntil against a recorder and returns the failure it
// reported ("" when it returned).
func runWait(t *testing.T, timeout time.Duration, cond func() error) string {
	rec := &fatalRecorder{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != rec {
				panic(r)
			}
		}()
		WaitUntil(rec, timeout, cond)
	}()
	return rec.msg
}

func TestWaitUntil(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		start := time.Now()
		msg := runWait(t, time.Second, func() error {
			if calls.Add(1) < 3 {
				return errors.New("not yet")
			}
			return nil
		})
		if msg != "" || calls.Load() != 3 {
			t.Errorf("condition true at the third check: failed %q after %d checks", msg, calls.Load())
		}
		if d := time.Since(start); d != 2*pollInterval {
			t.Errorf("waited %v, want two intervals (%v)", d, 2*pollInterval)
		}
	})
}

func TestWaitUntilTimesOutWithTheLastState(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var n int
		start := time.Now()
		msg := runWait(t, time.Second, func() error {
			n++
			return fmt.Errorf("%d of 20 rows", n)
		})
		if !strings.Contains(msg, fmt.Sprintf("%d of 20 rows", n)) || !strings.Contains(msg, "1s") {
			t.Errorf("failure %q does not give the timeout and the last state (%d of 20 rows)", msg, n)
		}
		if d := time.Since(start); d < time.Second || d > time.Second+pollInterval {
			t.Errorf("gave up after %v, want the 1s timeout", d)
		}
	})
}
