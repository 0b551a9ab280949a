package testbin

import (
	"testing"
	"time"
)

// pollInterval is how often WaitUntil checks its condition.
const pollInterval = 5 * time.Millisecond

// WaitUntil checks cond every few milliseconds until it returns nil, and
// fails tb (from the test's goroutine: it calls Fatalf) when it has not
// within timeout, with cond's last error saying what it saw. It is the one
// poll loop the tests share, for states that no channel signals (a row in
// a database, a counter, another process's file); where the code under
// test offers an event, wait on that instead. Inside a testing/synctest
// bubble the interval and the timeout run on the bubble's clock.
func WaitUntil(tb testing.TB, timeout time.Duration, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if !time.Now().Before(deadline) {
			tb.Fatalf("still waiting after %v: %v", timeout, err)
			return
		}
		time.Sleep(pollInterval)
	}
}
