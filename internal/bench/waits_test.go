package main

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	rtrace "runtime/trace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/exp/trace"
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
	hog := funcName(waitsTestHogThenClose)
	// Other processes on a loaded machine (the rest of the test suite)
	// preempt whichever thread runs, and the trace charges that time to
	// the goroutine it preempted: a request's can then outweigh the hog.
	// A few tries, so that it takes a broken analysis, not a busy
	// machine, to fail.
	var buf []byte
	var evs []goEvent
	var stw []span
	var warnings []string
	var rep *WaitReport
	for try := 0; try < 3; try++ {
		buf = traceBusyServer(t)
		var err error
		evs, stw, warnings, err = readWaitEvents(bytes.NewReader(buf))
		if err != nil {
			t.Fatal(err)
		}
		if rep, err = accountWaits(evs, stw); err != nil {
			t.Fatal(err)
		}
		if len(rep.Held) > 0 && rep.Held[0].Who == hog {
			break
		}
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q for a whole trace on one P", warnings)
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

	if rep.Held[0].Fraction > 1 || rep.IdleMs < 0 {
		t.Errorf("shares past the waiting time: %+v, idle %v ms", rep.Held[0], rep.IdleMs)
	}

	// Cut short, as by a gateway killed while writing it: what was read
	// is reported, with a warning.
	evs, _, warnings, err := readWaitEvents(bytes.NewReader(buf[:len(buf)-16]))
	if err != nil || len(warnings) == 0 || len(evs) == 0 {
		t.Errorf("a cut trace: %d events, warnings %q, %v; want the events before the cut and a warning", len(evs), warnings, err)
	}
	if _, _, _, err := readWaitEvents(strings.NewReader("not a trace")); err == nil {
		t.Error("a file that is not a trace was read")
	}
}

// TestReadWaitEventsWarnsOfManyPs: a trace of a process with more than
// one P says so, since goroutines on other CPUs then count as holders.
func TestReadWaitEventsWarnsOfManyPs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		t.Skipf("cannot trace here: %v", err)
	}
	time.Sleep(10 * time.Millisecond)
	rtrace.Stop()
	_, _, warnings, err := readWaitEvents(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "2 Ps") {
		t.Errorf("warnings %q, want one about 2 Ps", warnings)
	}
}

// TestAccountWaits checks the accounting on goroutine events made by
// hand: what a trace's generation boundaries restate, goroutines in a
// state from before the trace, system calls on a P and off one, a P
// handed on, overlapping waits, and waits that are not a request's.
func TestAccountWaits(t *testing.T) {
	const (
		running  = trace.GoRunning
		runnable = trace.GoRunnable
		waiting  = trace.GoWaiting
		syscall  = trace.GoSyscall
		notExist = trace.GoNotExist
		unknown  = trace.GoUndetermined
	)
	ev := func(at, g int64, from, to trace.GoState, proc int64, kind string) goEvent {
		return goEvent{t: at, g: g, from: from, to: to, proc: proc, kind: kind, self: true}
	}
	tests := []struct {
		name    string
		evs     []goEvent
		waits   int
		p99     float64            // µs
		held    map[string]float64 // ms
		longest map[string]float64 // µs
	}{{
		name: "a wait behind a holder",
		evs: []goEvent{
			ev(0, 1, notExist, runnable, 0, requestGoroutine),
			ev(50_000, 2, notExist, running, 0, "hog"),
			ev(100_000, 1, runnable, runnable, 0, ""), // a generation boundary restates it
			ev(700_000, 2, running, waiting, 0, ""),
			ev(700_000, 1, runnable, running, 0, ""),
		},
		waits: 1, p99: 700,
		held:    map[string]float64{"hog": 0.65},
		longest: map[string]float64{"hog": 650},
	}, {
		name: "a goroutine runnable before the trace began waited an unknown time",
		evs: []goEvent{
			ev(0, 1, unknown, runnable, 0, requestGoroutine),
			ev(400_000, 1, runnable, running, 0, ""),
			ev(500_000, 1, running, waiting, 0, ""),
			ev(600_000, 1, waiting, runnable, 0, ""),
			ev(650_000, 1, runnable, running, 0, ""),
		},
		waits: 1, p99: 50,
		held: map[string]float64{},
	}, {
		name: "a system call without a P holds nothing; one on a P holds it until the P is handed on",
		evs: []goEvent{
			ev(0, 3, unknown, syscall, -1, "os/signal.loop"),
			ev(0, 4, notExist, running, 0, "indexer"),
			ev(0, 1, notExist, waiting, -1, requestGoroutine),
			ev(100_000, 4, running, syscall, 0, ""),
			ev(150_000, 1, waiting, runnable, -1, ""),
			ev(300_000, 2, notExist, running, 0, "other"), // P 0 handed on
			ev(400_000, 2, running, waiting, 0, ""),
			ev(400_000, 1, runnable, running, 0, ""),
			ev(900_000, 4, syscall, runnable, -1, ""),
		},
		waits: 1, p99: 250,
		held:    map[string]float64{"indexer (in a system call)": 0.15, "other": 0.1},
		longest: map[string]float64{"indexer (in a system call)": 200, "other": 100},
	}, {
		name: "a call that returns on another P does not end the stretch it runs on there",
		evs: []goEvent{
			ev(0, 1, notExist, waiting, -1, requestGoroutine),
			ev(0, 4, notExist, running, 0, "indexer"),
			ev(100_000, 4, running, syscall, 0, ""),
			ev(150_000, 4, syscall, running, 1, ""),
			ev(160_000, 1, waiting, runnable, -1, ""),
			ev(200_000, 2, notExist, running, 0, "other"), // P 0's stale call must not end 4's run on P 1
			ev(250_000, 2, running, waiting, 0, ""),
			ev(500_000, 4, running, waiting, 1, ""),
			ev(500_000, 1, runnable, running, 1, ""),
		},
		waits: 1, p99: 340,
		held:    map[string]float64{"indexer": 0.34, "other": 0.05},
		longest: map[string]float64{"indexer": 350, "other": 50},
	}, {
		name: "waits at /metrics do not count",
		evs: []goEvent{
			ev(0, 2, notExist, running, 0, "hog"),
			ev(0, 1, notExist, waiting, -1, requestGoroutine),
			ev(0, 5, notExist, waiting, -1, requestGoroutine),
			ev(0, 6, notExist, running, -1, requestGoroutine),
			{t: 1, g: 6, from: running, to: waiting, proc: -1, self: true, notReq: true},
			ev(100_000, 1, waiting, runnable, -1, ""),
			ev(100_000, 6, waiting, runnable, -1, ""),
			ev(300_000, 5, waiting, runnable, -1, ""),
			ev(800_000, 2, running, waiting, 0, ""),
			ev(800_000, 1, runnable, running, 0, ""),
			ev(810_000, 1, running, waiting, 0, ""),
			ev(810_000, 5, runnable, running, 0, ""),
			ev(820_000, 5, running, waiting, 0, ""),
			ev(820_000, 6, runnable, running, 0, ""),
		},
		waits: 2, p99: 700, // the slowest 1% of two: the longer
		held:    map[string]float64{"hog": 0.7},
		longest: map[string]float64{"hog": 800},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := accountWaits(tt.evs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Waits != tt.waits || rep.Quantiles[0.99] != tt.p99 {
				t.Errorf("%d waits, p99 %v µs; want %d, %v", rep.Waits, rep.Quantiles[0.99], tt.waits, tt.p99)
			}
			got := map[string]float64{}
			for _, s := range rep.Held {
				got[s.Who] = s.Ms
				if s.Fraction > 1.0000001 {
					t.Errorf("%s holds %.2f of the waiting time", s.Who, s.Fraction)
				}
			}
			if !mapsNear(got, tt.held) {
				t.Errorf("held %v ms, want %v", got, tt.held)
			}
			if tt.longest != nil && !mapsNear(rep.Longest, tt.longest) {
				t.Errorf("longest %v µs, want %v", rep.Longest, tt.longest)
			}
		})
	}
	if _, err := accountWaits([]goEvent{ev(0, 2, notExist, running, 0, "hog")}, nil); err == nil {
		t.Error("no request waits gave a report")
	}
}

// TestOverlapCountsTimeOnce checks the union the slowest waits' time is
// measured over: overlapping waits count their shared time once.
func TestOverlapCountsTimeOnce(t *testing.T) {
	union := mergeSpans([]span{{300, 800}, {100, 600}, {900, 1000}, {1000, 1100}})
	if want := []span{{100, 800}, {900, 1100}}; !slices.Equal(union, want) {
		t.Fatalf("union %v, want %v", union, want)
	}
	for _, tt := range []struct {
		x    span
		want float64
	}{{span{0, 2000}, 900}, {span{700, 950}, 150}, {span{800, 900}, 0}, {span{150, 160}, 10}} {
		if got := overlap(union, tt.x); got != tt.want {
			t.Errorf("overlap of %v = %v, want %v", tt.x, got, tt.want)
		}
	}
}

// mapsNear reports whether a and b have the same keys and values within
// a rounding error.
func mapsNear(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || math.Abs(v-w) > 1e-9*max(1, math.Abs(w)) {
			return false
		}
	}
	return true
}

// waitsTestHogThenClose runs the hog and closes done: a goroutine whose
// entry is a named function, as the gateway's are.
func waitsTestHogThenClose(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	waitsTestHog(stop)
}

// funcName is f's name as a trace's stacks give it.
func funcName(f any) string { return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name() }

// traceBusyServer traces, on the one P the caller set, four clients of an
// HTTP server beside waitsTestHog for half a second, and returns the
// trace.
func traceBusyServer(t *testing.T) []byte {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(waitsTestHandler))
	defer srv.Close()

	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		t.Skipf("cannot trace here: %v", err)
		return nil
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
	time.Sleep(250 * time.Millisecond)
	// A flight recorder starting begins a new generation of the trace,
	// as a long trace has every second: the cut below then leaves whole
	// ones before it.
	fr := rtrace.NewFlightRecorder(rtrace.FlightRecorderConfig{})
	if err := fr.Start(); err == nil {
		fr.Stop()
	}
	time.Sleep(250 * time.Millisecond)
	close(stop)
	wg.Wait()
	<-hogDone
	rtrace.Stop()

	return buf.Bytes()
}
