package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/exp/trace"
)

// What a request waited behind: on one CPU (the pinned gateway, GOMAXPROCS
// 1) a request's tail is made of the times its goroutine was ready to run
// while another held the CPU. A CPU profile says what used the CPU, not
// whom it kept waiting; an execution trace says both. -trace writes the
// gateway's (tunnel.TraceEnv); -waits reads one and reports, over the
// slowest of the request goroutines' waits to run, which goroutines held
// the CPU meanwhile and for how long at a stretch.
//
// A goroutine counts as ready from when the runtime made it runnable: for
// one woken by the network, once a network poll found its connection
// ready. The time before that poll (which a goroutine holding the CPU
// also delays; gateway/ledger/yield.go) is not in these waits.
//
// golang.org/x/exp/trace is the Go team's parser of the format (go tool
// trace's own); written here it would be a copy of it. It must know the
// trace format of the toolchain the gateway is built with.

// requestGoroutine is the kind of goroutine whose waits count: one
// serving an HTTP connection. Its waits while it was answering the
// gateway's own /metrics, or tidying up after an answer, are left out
// (notRequestWork).
const requestGoroutine = "net/http.(*conn).serve"

// notRequestWork are frames that, on the stack where a request goroutine
// last stopped, make its next wait not a request's.
var notRequestWork = []string{"serveMetrics", "promhttp.", "(*response).finishRequest", "abortPendingRead"}

// longStretch is the stretch of CPU time the report breaks down by how it
// ended: over 400 µs, near the ledger pacer's 500 µs slice
// (gateway/ledger/yield.go).
const longStretch = 400_000 // ns

// goEvent is one goroutine state change from a trace, as the accounting
// reads it.
type goEvent struct {
	t        int64 // ns
	g        int64
	from, to trace.GoState
	proc     int64  // the P of the thread the event is on, -1 for none
	kind     string // what the goroutine runs, when the event's stack says ("" if not)
	self     bool   // emitted by g itself: stack is where it stopped or started
	stack    string // g's innermost frames, when self or to == GoSyscall
	notReq   bool   // self, and stack has a frame of notRequestWork
}

// span is an interval of trace time.
type span struct{ from, to int64 }

// WaitReport is what -waits found.
type WaitReport struct {
	Waits     int                  // request goroutines' waits to run
	Quantiles map[float64]float64  // wait quantile (0.5, 0.9, 0.99, 0.999) → µs
	Slowest   int                  // the waits looked into: the slowest 1%
	WaitingMs float64              // the time any of them was waiting (their union), ms
	Held      []Share              // who held the CPU within that time, most first
	IdleMs    float64              // within it, time nobody was seen holding the CPU, ms
	STWMs     float64              // within it, time the world was stopped, ms
	Longest   map[string]float64   // each holder's longest stretch among those, µs
	Stretches map[string][]Stretch // per holder, its stretches over longStretch within it, by how they ended
	Warnings  []string             // a cut trace, more than one P
}

// Share is a goroutine kind's time holding the CPU within the slowest waits.
type Share struct {
	Who      string
	Ms       float64
	Fraction float64 // of WaitingMs
}

// Stretch is how some of a holder's long stretches of CPU ended: the
// stack it stopped at, how many, and their mean length.
type Stretch struct {
	Ended  string
	Count  int
	MeanUs float64
}

// readWaitEvents reads the goroutine state changes and stop-the-world
// spans of a trace. A trace cut short (a gateway killed while writing
// it) gives the events before the cut, with a warning.
func readWaitEvents(r io.Reader) (evs []goEvent, stw []span, warnings []string, err error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read trace: %w", err)
	}
	var stwFrom int64 = -1
	maxProcs := 0
	for {
		e, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(evs) == 0 {
				return nil, nil, nil, fmt.Errorf("read trace: %w", err)
			}
			warnings = append(warnings, fmt.Sprintf("the trace ends early (%v): the report covers the %d goroutine events before", err, len(evs)))
			break
		}
		switch e.Kind() {
		case trace.EventMetric:
			if m := e.Metric(); m.Name == "/sched/gomaxprocs:threads" {
				maxProcs = max(maxProcs, int(m.Value.Uint64()))
			}
		case trace.EventRangeBegin:
			if strings.HasPrefix(e.Range().Name, "stop-the-world") {
				stwFrom = int64(e.Time())
			}
		case trace.EventRangeEnd:
			if strings.HasPrefix(e.Range().Name, "stop-the-world") && stwFrom >= 0 {
				stw = append(stw, span{stwFrom, int64(e.Time())})
				stwFrom = -1
			}
		case trace.EventStateTransition:
			st := e.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				continue
			}
			g := st.Resource.Goroutine()
			from, to := st.Goroutine()
			ev := goEvent{t: int64(e.Time()), g: int64(g), from: from, to: to, proc: -1, self: e.Goroutine() == g}
			if p := e.Proc(); p != trace.NoProc {
				ev.proc = int64(p)
			}
			ev.kind = goroutineKind(st.Stack)
			own := st.Stack
			if ev.self {
				own = e.Stack()
				if ev.kind == "" {
					ev.kind = goroutineKind(own)
				}
			}
			if ev.self || to == trace.GoSyscall {
				ev.stack = stackTop(own, 4)
				ev.notReq = stackHasAny(own, notRequestWork)
			}
			evs = append(evs, ev)
		}
	}
	if maxProcs > 1 {
		warnings = append(warnings, fmt.Sprintf("the process had %d Ps (GOMAXPROCS): goroutines running on other CPUs count as holders too; pin it to one (the harness's default)", maxProcs))
	}
	return evs, stw, warnings, nil
}

// accountWaits is the accounting of -waits over a trace's events, in
// trace order.
func accountWaits(evs []goEvent, stw []span) (*WaitReport, error) {
	type held struct {
		span
		g       int64
		syscall bool   // in a system call, on a P
		ended   string // where it stopped
	}
	type wait struct {
		span
		g int64
	}
	var (
		who      = map[int64]string{}
		readyAt  = map[int64]int64{}
		notReq   = map[int64]bool{}
		runFrom  = map[int64]int64{} // open Running or Syscall stretches
		inCall   = map[int64]bool{}  // the open stretch is a system call
		callOn   = map[int64]int64{} // P → goroutine in a system call on it
		callP    = map[int64]int64{} // goroutine → the P of its system call
		callFrom = map[int64]string{}
		stretch  []held
		waits    []wait
	)
	closeStretch := func(g, t int64, ended string) {
		if from, ok := runFrom[g]; ok {
			if inCall[g] {
				if ended == "" {
					ended = "system call from " + callFrom[g]
				}
				if callOn[callP[g]] == g {
					delete(callOn, callP[g])
				}
			}
			stretch = append(stretch, held{span{from, t}, g, inCall[g], ended})
			delete(runFrom, g)
			delete(inCall, g)
		}
	}
	for _, e := range evs {
		if k := who[e.g]; e.kind != "" && (k == "" || strings.HasPrefix(k, "sync.(*WaitGroup).Go")) {
			who[e.g] = e.kind
		}
		if e.self && e.from == trace.GoRunning && e.to != trace.GoRunning {
			notReq[e.g] = e.notReq
		}
		if e.from == e.to {
			// A generation boundary restates every goroutine's state:
			// nothing changed.
			continue
		}
		switch e.from {
		case trace.GoRunning:
			closeStretch(e.g, e.t, fmt.Sprintf("%v→%v in %s", e.from, e.to, e.stack))
		case trace.GoSyscall:
			closeStretch(e.g, e.t, "")
		}
		switch e.to {
		case trace.GoRunning:
			if e.proc >= 0 {
				// The runtime handed this P on: whoever was in a system
				// call on it no longer holds the CPU.
				if cg, ok := callOn[e.proc]; ok && cg != e.g {
					closeStretch(cg, e.t, "system call, its P handed on")
				}
				delete(callOn, e.proc)
			}
			runFrom[e.g] = e.t
		case trace.GoSyscall:
			// A call made without a P (a goroutine already blocked in
			// one when the trace began) holds no CPU the requests want.
			if e.proc >= 0 {
				runFrom[e.g], inCall[e.g], callOn[e.proc], callP[e.g], callFrom[e.g] = e.t, true, e.g, e.proc, e.stack
			}
		case trace.GoRunnable:
			// Not from GoUndetermined: a goroutine already waiting when
			// the trace began waited for an unknown time.
			if e.from != trace.GoUndetermined {
				readyAt[e.g] = e.t
			}
		}
		if e.from == trace.GoRunnable && e.to == trace.GoRunning {
			if at, ok := readyAt[e.g]; ok && who[e.g] == requestGoroutine && !notReq[e.g] {
				waits = append(waits, wait{span{at, e.t}, e.g})
			}
			delete(readyAt, e.g)
		}
	}
	if len(waits) == 0 {
		return nil, errors.New("no request goroutine (" + requestGoroutine + ") waited to run in the trace")
	}
	slices.SortFunc(waits, func(a, b wait) int { return cmp.Compare(b.to-b.from, a.to-a.from) })
	rep := &WaitReport{Waits: len(waits), Quantiles: map[float64]float64{},
		Longest: map[string]float64{}, Stretches: map[string][]Stretch{}}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		w := waits[min(int(float64(len(waits))*(1-q)), len(waits)-1)]
		rep.Quantiles[q] = float64(w.to-w.from) / 1e3
	}
	rep.Slowest = max(len(waits)/100, 1)
	slow := make([]span, rep.Slowest)
	for i, w := range waits[:rep.Slowest] {
		slow[i] = w.span
	}
	union := mergeSpans(slow)
	for _, u := range union {
		rep.WaitingMs += float64(u.to-u.from) / 1e6
	}
	for _, s := range stw {
		rep.STWMs += overlap(union, s) / 1e6
	}

	ms := map[string]float64{}
	var heldMs float64
	type key struct{ who, ended string }
	count, sum := map[key]int{}, map[key]float64{}
	for _, h := range stretch {
		d := overlap(union, h.span)
		if d <= 0 {
			continue
		}
		name := holder(who[h.g], h.syscall)
		ms[name] += d / 1e6
		heldMs += d / 1e6
		length := float64(h.to - h.from)
		rep.Longest[name] = max(rep.Longest[name], length/1e3)
		if length > longStretch {
			k := key{name, h.ended}
			count[k]++
			sum[k] += length / 1e3
		}
	}
	rep.IdleMs = max(rep.WaitingMs-heldMs, 0)
	for k, v := range ms {
		rep.Held = append(rep.Held, Share{k, v, v / rep.WaitingMs})
	}
	slices.SortFunc(rep.Held, func(a, b Share) int { return cmp.Compare(b.Ms, a.Ms) })
	for k, n := range count {
		rep.Stretches[k.who] = append(rep.Stretches[k.who], Stretch{k.ended, n, sum[k] / float64(n)})
	}
	for _, s := range rep.Stretches {
		slices.SortFunc(s, func(a, b Stretch) int { return b.Count - a.Count })
	}
	return rep, nil
}

// mergeSpans is the union of spans, as sorted disjoint spans.
func mergeSpans(spans []span) []span {
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	var out []span
	for _, x := range s {
		if n := len(out); n > 0 && x.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, x.to)
			continue
		}
		out = append(out, x)
	}
	return out
}

// overlap is how much of x (ns) lies within union (sorted, disjoint).
func overlap(union []span, x span) float64 {
	i := sort.Search(len(union), func(i int) bool { return union[i].to > x.from })
	var d int64
	for ; i < len(union) && union[i].from < x.to; i++ {
		d += min(union[i].to, x.to) - max(union[i].from, x.from)
	}
	return float64(d)
}

// holder names a goroutine kind's stretches, those in system calls apart.
func holder(kind string, syscall bool) string {
	if kind == "" {
		kind = "(a goroutine the trace does not name)"
	}
	if syscall {
		return kind + " (in a system call)"
	}
	return kind
}

// goroutineKind names a goroutine by the function it started in (the
// last frame of its stack), or for one started by WaitGroup.Go the
// function given to it.
func goroutineKind(s trace.Stack) string {
	var frames []string
	for f := range s.Frames() {
		frames = append(frames, f.Func)
	}
	if len(frames) == 0 {
		return ""
	}
	if last := frames[len(frames)-1]; !strings.HasPrefix(last, "sync.(*WaitGroup).Go") || len(frames) == 1 {
		return last
	}
	return frames[len(frames)-2]
}

// stackHasAny reports whether a frame of s contains one of subs.
func stackHasAny(s trace.Stack, subs []string) bool {
	for f := range s.Frames() {
		for _, sub := range subs {
			if strings.Contains(f.Func, sub) {
				return true
			}
		}
	}
	return false
}

// stackTop is the innermost n frames of s, innermost first.
func stackTop(s trace.Stack, n int) string {
	var frames []string
	for f := range s.Frames() {
		if len(frames) == n {
			break
		}
		frames = append(frames, f.Func)
	}
	return strings.Join(frames, " < ")
}

// Write prints the report.
func (r *WaitReport) Write(w io.Writer) {
	for _, s := range r.Warnings {
		fmt.Fprintln(w, "warning:", s)
	}
	fmt.Fprintf(w, "%d waits of request goroutines to run: p50 %.1f µs, p90 %.1f, p99 %.1f, p99.9 %.1f\n",
		r.Waits, r.Quantiles[0.5], r.Quantiles[0.9], r.Quantiles[0.99], r.Quantiles[0.999])
	fmt.Fprintf(w, "the slowest %d (1%%) waited during %.2f ms in all; the CPU was meanwhile held by (stop-the-world %.2f ms, nobody seen %.2f ms):\n",
		r.Slowest, r.WaitingMs, r.STWMs, r.IdleMs)
	for _, s := range r.Held {
		fmt.Fprintf(w, "  %5.1f%%  %8.2f ms  longest stretch %7.0f µs  %s\n", 100*s.Fraction, s.Ms, r.Longest[s.Who], s.Who)
	}
	fmt.Fprintf(w, "stretches over %d µs of the top holders within that time, by how they ended:\n", longStretch/1000)
	for i, s := range r.Held {
		if i == 3 {
			break
		}
		for j, st := range r.Stretches[s.Who] {
			if j == 3 {
				break
			}
			fmt.Fprintf(w, "  %s: %d, mean %.0f µs, %s\n", s.Who, st.Count, st.MeanUs, st.Ended)
		}
	}
}

// printWaits analyzes the trace at path (-waits) and prints the report.
func printWaits(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	evs, stw, warnings, err := readWaitEvents(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rep, err := accountWaits(evs, stw)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rep.Warnings = warnings
	rep.Write(w)
	return nil
}
