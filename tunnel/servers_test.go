package tunnel

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// A request in flight when Shutdown begins finishes within the grace
// period; one that outlasts it is cut off, and Shutdown says so.
func TestServersShutdownLetsRequestsFinish(t *testing.T) {
	for _, tt := range []struct {
		name    string
		grace   time.Duration
		release bool // the handler finishes once Shutdown has begun
		wantCut bool
	}{
		{"finishes in time", time.Minute, true, false},
		{"outlasts the grace period", 50 * time.Millisecond, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				select {
				case <-release:
				case <-r.Context().Done():
				}
				io.WriteString(w, "done")
			})
			var s Servers
			ln := listenLoopback(t)
			s.Serve(&http.Server{Handler: h}, ln, "test")
			got := make(chan string, 1)
			go func() {
				res, err := http.Get("http://" + ln.Addr().String())
				if err != nil {
					got <- err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				got <- string(b)
			}()
			<-entered
			cut := make(chan bool, 1)
			go func() { cut <- s.Shutdown(tt.grace) }()
			if tt.release {
				close(release)
			}
			if c := <-cut; c != tt.wantCut {
				t.Errorf("Shutdown cut off = %v, want %v", c, tt.wantCut)
			}
			if body := <-got; tt.release && body != "done" {
				t.Errorf("the request in flight got %q, want its answer", body)
			}
			select {
			case err := <-s.Failed():
				t.Errorf("a server stopped by Shutdown failed: %v", err)
			default:
			}
		})
	}
}

// A listener that opens once Shutdown has begun is closed, not served,
// and a function given to Go then is not run.
func TestServersServeAfterShutdown(t *testing.T) {
	var s Servers
	s.Shutdown(time.Second)
	ln := listenLoopback(t)
	s.Serve(&http.Server{Handler: http.NotFoundHandler()}, ln, "late")
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Fatal("the late listener is still open")
	}
	ran := false
	s.Go(func() error { ran = true; return nil })
	s.Shutdown(time.Second)
	if ran {
		t.Error("Go ran a function after Shutdown")
	}
}

// A server that stops on its own, or a function of Go that fails, is a
// failure; only the first is reported, and Shutdown waits for Go's
// functions.
func TestServersFailures(t *testing.T) {
	var s Servers
	ln := listenLoopback(t)
	ln.Close()
	s.Serve(&http.Server{Handler: http.NotFoundHandler()}, ln, "closed listener")
	err := <-s.Failed()
	if !strings.HasPrefix(err.Error(), "serving closed listener: ") {
		t.Errorf("failure = %v, want one naming the server", err)
	}

	stop, returned := make(chan struct{}), make(chan struct{})
	s.Go(func() error {
		<-stop
		close(returned)
		return errors.New("second failure")
	})
	done := make(chan struct{})
	go func() {
		s.Shutdown(time.Second)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("Shutdown returned while Go's function still ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(stop)
	<-done
	select {
	case <-returned:
	default:
		t.Error("Shutdown returned before Go's function")
	}
	select {
	case err := <-s.Failed():
		t.Errorf("a second failure was reported: %v", err)
	default:
	}
}
