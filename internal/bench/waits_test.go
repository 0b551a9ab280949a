package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitsTestHandler is the request path of TestAnalyzeWaitsNamesTheHolder:
// it blocks (a short sleep) so that its goroutine waits to run again.
func waitsTestHandler(w http.ResponseWriter, r *http.Request) {
	time.Sleep(100 * time.Microsecond)
	io.WriteString(w, "ok")
}

// waitsTestHog holds the CPU in bursts of 2 ms until stop closes, as the
// ledger's index round did.
func waitsTestHog(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		for t := time.Now(); time.Since(t) < 2*time.Millisecond; {
		}
		time.Sleep(time.Millisecond)
	}
}

// TestAnalyzeWaitsNamesTheHolder traces requests served on one CPU beside
// a goroutine that holds it in bursts, and checks that -waits names that
// goroutine as what the slowest requests waited behind, with its stretch.
func TestAnalyzeWaitsNamesTheHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("traces a busy process for half a second")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	srv := httptest.NewServer(http.HandlerFunc(waitsTestHandler))
	defer srv.Close()

	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("cannot trace here: %v", err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	hogDone := make(chan struct{})
	go waitsTestHogThenClose(stop, hogDone)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := http.Get(srv.URL)
				if err != nil {
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	<-hogDone
	trace.Stop()

	handler, hog := funcName(waitsTestHandler), funcName(waitsTestHogThenClose)
	rep, err := analyzeWaits(bytes.NewReader(buf.Bytes()), handler)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Write(&out)
	t.Logf("report:\n%s", out.String())
	if rep.Waits < 100 {
		t.Fatalf("%d request waits found, want hundreds", rep.Waits)
	}
	if len(rep.Held) == 0 || rep.Held[0].Who != hog {
		t.Errorf("the slowest waits' first holder is %+v, want the hog's goroutine", rep.Held)
	}
	if d := rep.Longest[hog]; d < 1500 {
		t.Errorf("the hog's longest stretch %.0f µs, want about 2000", d)
	}
	if len(rep.Stretches[hog]) == 0 {
		t.Error("the hog's long stretches are not broken down")
	}
	if rep.Quantiles[0.999] < rep.Quantiles[0.5] {
		t.Errorf("quantiles out of order: %v", rep.Quantiles)
	}

	// A match no request blocked in finds nothing, and says so.
	if _, err := analyzeWaits(bytes.NewReader(buf.Bytes()), "no.such.function"); err == nil {
		t.Error("a match nothing blocked in gave a report")
	}
	if _, err := analyzeWaits(strings.NewReader("not a trace"), waitsMatch); err == nil {
		t.Error("a file that is not a trace gave a report")
	}
}

// waitsTestHogThenClose runs the hog and closes done: a goroutine whose
// entry is a named function, as the gateway's are.
func waitsTestHogThenClose(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	waitsTestHog(stop)
}

// funcName is f's name as a trace's stacks give it.
func funcName(f any) string { return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name() }
