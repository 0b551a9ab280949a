package installers

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kardianos/service"
)

// Run runs runFunc until it returns or the process is asked to stop, and
// returns runFunc's error (a context.Canceled result after a stop request
// counts as success).
//
// Interactive (a terminal, a container, anything but a service manager):
// runFunc's context is cancelled on SIGINT or SIGTERM.
//
// Under the service manager (kardianos' Interactive() false): runFunc runs
// under kardianos' Start/Stop. A stop request cancels the context and
// waits up to spec.StopTimeout for runFunc to return, else Run returns an
// error. If runFunc returns on its own, Run returns its error so the
// process exits and the manager restarts it (on Windows, where kardianos
// offers no hook for this, the process exits with status 1 so the SCM's
// recovery action restarts it). Logs are whatever runFunc writes to
// stderr, which journald and the launchd plist capture; Windows services
// have no stderr.
func Run(spec Spec, runFunc func(ctx context.Context) error) error {
	if sys.interactive() {
		return runForeground(runFunc)
	}
	timeout := spec.StopTimeout
	if timeout <= 0 {
		timeout = DefaultStopTimeout
	}
	p := &program{name: spec.Name, run: runFunc, timeout: timeout, done: make(chan struct{})}
	c := &service.Config{
		Name:   spec.Name,
		Option: service.KeyValue{"RunWait": p.wait},
	}
	if spec.User {
		c.Option["UserService"] = true
	}
	svc, err := sys.newService(p, c)
	if err != nil {
		// No service manager after all: behave like a foreground process.
		return runForeground(runFunc)
	}
	if err := svc.Run(); err != nil {
		return fmt.Errorf("running service %s: %w", spec.Name, err)
	}
	return nil
}

// stopSignals are the signals that stop Run.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// runForeground runs fn with a context cancelled by SIGINT or SIGTERM.
func runForeground(fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	sys.notify(sig, stopSignals...)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := fn(ctx)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// program adapts a run function to kardianos' service.Interface.
type program struct {
	name    string
	run     func(ctx context.Context) error
	timeout time.Duration

	cancel   context.CancelFunc
	stopping atomic.Bool
	done     chan struct{} // closed when run has returned
	once     sync.Once
	err      error // run's result, set before done is closed
}

// Start launches the run function and returns at once, as kardianos asks.
func (p *program) Start(service.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		err := p.run(ctx)
		p.once.Do(func() { p.err = err; close(p.done) })
	}()
	if sys.goos == "windows" {
		// kardianos ignores RunWait on Windows: only the SCM can end Run,
		// so a run function that gives up must end the process itself.
		go func() {
			<-p.done
			if !p.stopping.Load() {
				log.Printf("service %s: stopped on its own: %v", p.name, p.err)
				sys.exit(1)
			}
		}()
	}
	return nil
}

// wait is kardianos' RunWait on Unix: it blocks until SIGINT/SIGTERM (the
// manager's stop) or until the run function returns on its own.
func (p *program) wait() {
	sig := make(chan os.Signal, 1)
	sys.notify(sig, stopSignals...)
	defer signal.Stop(sig)
	select {
	case <-sig:
	case <-p.done:
	}
}

// Stop cancels the run function and waits up to p.timeout for it.
func (p *program) Stop(service.Service) error {
	p.stopping.Store(true)
	if p.cancel != nil {
		p.cancel()
	}
	select {
	case <-p.done:
	case <-time.After(p.timeout):
		return fmt.Errorf("service %s did not stop within %s of being asked to", p.name, p.timeout)
	}
	if errors.Is(p.err, context.Canceled) {
		return nil
	}
	return p.err
}
