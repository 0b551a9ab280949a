package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Servers are the HTTP servers a binary runs on its listeners, and what
// else must stop with them (a TCP forwarder), started and stopped as one:
// Serve and Go start one, Failed delivers the first failure (which should
// stop the binary), and Shutdown stops them all. A listener handed to
// Serve once Shutdown has begun (a port opened late, such as :443 once
// the tailnet issues certificates) is closed, not served, so nothing runs
// on after Shutdown returns. The zero value is ready to use.
//
// It is not an errgroup.Group: a binary needs the first failure while the
// other servers still run, to begin shutting them down, where Group.Wait
// reports it only once all have returned.
type Servers struct {
	mu      sync.Mutex
	closing bool
	servers []*http.Server
	wg      sync.WaitGroup

	failedOnce sync.Once
	failed     chan error // holds the first failure
	hasFailed  atomic.Bool
}

// Serve serves ln with srv until Shutdown. An error that stops it sooner
// is a failure, named by what.
func (s *Servers) Serve(srv *http.Server, ln net.Listener, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		ln.Close()
		return
	}
	s.servers = append(s.servers, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Fail(fmt.Errorf("serving %s: %w", what, err))
		}
	}()
}

// Go runs f, which Shutdown waits for: f must return once what it serves
// is closed or its context ends. An error it returns is a failure. Once
// Shutdown has begun, f is not run.
func (s *Servers) Go(f func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := f(); err != nil {
			s.Fail(err)
		}
	}()
}

// Fail reports err on Failed; only the first failure counts, whether or
// not it was read yet.
func (s *Servers) Fail(err error) {
	if s.hasFailed.CompareAndSwap(false, true) {
		s.failures() <- err // never blocks: it has room for one
	}
}

// Failed delivers the first failure.
func (s *Servers) Failed() <-chan error { return s.failures() }

func (s *Servers) failures() chan error {
	s.failedOnce.Do(func() { s.failed = make(chan error, 1) })
	return s.failed
}

// Shutdown stops every server: the requests in flight may finish for up to
// grace, then what is left is closed. It returns once every server and
// every function of Go has returned, and reports whether grace ran out
// with requests still in flight (which were then cut off).
func (s *Servers) Shutdown(grace time.Duration) (cutOff bool) {
	s.mu.Lock()
	s.closing = true
	servers := s.servers
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// Shutdown returns once its server's requests have finished, where
	// Serve returns at once, so it is Shutdown that is waited for.
	var drained sync.WaitGroup
	var cut atomic.Bool
	for _, srv := range servers {
		drained.Add(1)
		go func() {
			defer drained.Done()
			if err := srv.Shutdown(ctx); err != nil {
				cut.Store(true)
				srv.Close()
			}
		}()
	}
	drained.Wait()
	s.wg.Wait()
	return cut.Load()
}
