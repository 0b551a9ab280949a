package installers

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeSignals captures the channels Run registers for signals, so a test
// can deliver SIGTERM without signalling the test process.
type fakeSignals struct {
	mu    sync.Mutex
	chans []chan<- os.Signal
	ready chan struct{} // closed on the first registration
}

func newFakeSignals() *fakeSignals { return &fakeSignals{ready: make(chan struct{})} }

func (f *fakeSignals) notify(c chan<- os.Signal, sig ...os.Signal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chans = append(f.chans, c)
	if len(f.chans) == 1 {
		close(f.ready)
	}
}

// send delivers s to every registered channel; it runs in its own
// goroutine, so it reports failure with Errorf.
func (f *fakeSignals) send(t *testing.T, s os.Signal) {
	select {
	case <-f.ready:
	case <-time.After(5 * time.Second):
		t.Errorf("Run never registered for signals")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.chans {
		c <- s
	}
}

func TestRunUnderServiceManager(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name        string
		run         func(ctx context.Context) error
		stop        bool // deliver SIGTERM, as systemd does on stop
		wantErr     error
		wantContain string
	}{
		{
			name:    "run function gives up: error returned so the manager restarts",
			run:     func(ctx context.Context) error { return errBoom },
			wantErr: errBoom,
		},
		{
			name: "stop cancels the context, cancellation is success",
			run: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			stop: true,
		},
		{
			name: "error while shutting down is reported",
			run: func(ctx context.Context) error {
				<-ctx.Done()
				return errBoom
			},
			stop:    true,
			wantErr: errBoom,
		},
		{
			name: "run function ignoring stop hits the grace timeout",
			run: func(ctx context.Context) error {
				<-ctx.Done()
				time.Sleep(time.Second) // deliberately past the 50ms grace: Run must not wait for it
				return nil
			},
			stop:        true,
			wantContain: "did not stop within 50ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeService{}
			useFake(t, "linux-systemd", true, fake)
			sigs := newFakeSignals()
			sys.notify = sigs.notify
			if tt.stop {
				go sigs.send(t, syscall.SIGTERM)
			}
			err := Run(Spec{Name: "ts-unplug", StopTimeout: 50 * time.Millisecond}, tt.run)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.wantContain != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantContain) {
					t.Errorf("err = %v, want containing %q", err, tt.wantContain)
				}
			default:
				if err != nil {
					t.Errorf("err = %v", err)
				}
			}
			if len(fake.calls) != 1 || fake.calls[0] != "run" {
				t.Errorf("kardianos calls = %v, want [run]", fake.calls)
			}
			if _, ok := fake.cfg.Option["RunWait"].(func()); !ok {
				t.Error("RunWait option not set; kardianos would wait for a signal even after the run function returned")
			}
		})
	}
}

func TestRunInteractive(t *testing.T) {
	useFake(t, "linux-systemd", true, &fakeService{})
	sys.interactive = func() bool { return true }
	sigs := newFakeSignals()
	sys.notify = sigs.notify
	go sigs.send(t, os.Interrupt)
	sawCancel := false
	err := Run(Spec{Name: "ts-unplug"}, func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			sawCancel = true
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return errors.New("context not cancelled by SIGINT")
		}
	})
	if err != nil || !sawCancel {
		t.Errorf("err = %v, sawCancel = %v", err, sawCancel)
	}

	errBoom := errors.New("boom")
	if err := Run(Spec{Name: "ts-unplug"}, func(context.Context) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want the run function's error", err)
	}
}

func TestRunWindowsEarlyExit(t *testing.T) {
	useFake(t, "windows-service", true, &fakeService{})
	exited := make(chan int, 1)
	sys.exit = func(code int) { exited <- code }
	p := &program{name: "x", run: func(context.Context) error { return errors.New("boom") }, timeout: time.Second, done: make(chan struct{})}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 1 {
			t.Errorf("exit code = %d, want 1", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a Windows service whose run function failed did not exit")
	}

	// A stop requested by the SCM must not exit the process.
	p = &program{name: "x", run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, timeout: time.Second, done: make(chan struct{})}
	p.Start(nil)
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		t.Error("exit called after a requested stop")
	case <-time.After(50 * time.Millisecond):
	}
}
