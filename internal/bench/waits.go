package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/exp/trace"
)

// What a request waited behind: on one CPU (the pinned gateway, GOMAXPROCS
// 1) a request's tail is the time its goroutine was ready to run while
// another held the CPU. A CPU profile says what used the CPU, not whom it
// kept waiting; an execution trace says both. -trace writes the gateway's
// (tunnel.TraceEnv); -waits reads one and reports, for the slowest of the
// request goroutines' waits, which goroutines held the CPU meanwhile and
// for how long at a stretch. golang.org/x/exp/trace is the Go team's
// parser of the format (go tool trace's own); written here it would be a
// copy of it.

// waitsMatch picks the request goroutines whose waits count: those
// serving an HTTP connection (net/http.(*conn).serve) whose stack, when
// they last blocked, had a frame of the gateway's request path. The
// /metrics handler and idle keep-alive connections are left out.
const waitsMatch = "ts-plug/gateway."

// longStretch is the stretch of CPU time the report breaks down by how it
// ended: longer than the ledger pacer's slice (gateway/ledger/yield.go).
const longStretch = 400_000 // ns

// WaitReport is what analyzeWaits found.
type WaitReport struct {
	Waits     int                  // request goroutines' waits to run
	Quantiles map[float64]float64  // wait quantile (0.5, 0.9, 0.99, 0.999) → µs
	Slowest   int                  // the waits looked into: the slowest 1%
	Held      []Share              // who held the CPU during them, most first
	Longest   map[string]float64   // each holder's longest stretch among them, µs
	STW       float64              // stop-the-world time within them, ms
	Stretches map[string][]Stretch // per holder, its stretches over longStretch by how they ended
}

// Share is a goroutine kind's CPU time within the slowest waits.
type Share struct {
	Who      string
	Ms       float64
	Fraction float64
}

// Stretch is how a holder's long stretches of CPU ended: the stack it
// stopped at, how many, and their mean length.
type Stretch struct {
	Ended  string
	Count  int
	MeanUs float64
}

// analyzeWaits reads an execution trace from r. match picks the request
// goroutines (waitsMatch).
func analyzeWaits(r io.Reader, match string) (*WaitReport, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	type interval struct {
		from, to trace.Time
		g        trace.GoID
		ended    string
		syscall  bool // in a system call: on this CPU, or blocked off it
	}
	type wait struct {
		g        trace.GoID
		from, to trace.Time
	}
	var (
		who        = map[trace.GoID]string{}
		readyAt    = map[trace.GoID]trace.Time{}
		runFrom    = map[trace.GoID]trace.Time{}
		onPath     = map[trace.GoID]bool{}
		held       []interval
		waits      []wait
		stw        []interval
		stwStarted trace.Time
	)
	onCPU := func(s trace.GoState) bool { return s == trace.GoRunning || s == trace.GoSyscall }
	for {
		e, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read trace: %w", err)
		}
		switch e.Kind() {
		case trace.EventRangeBegin:
			if strings.HasPrefix(e.Range().Name, "stop-the-world") {
				stwStarted = e.Time()
			}
		case trace.EventRangeEnd:
			if strings.HasPrefix(e.Range().Name, "stop-the-world") && stwStarted != 0 {
				stw = append(stw, interval{from: stwStarted, to: e.Time()})
			}
		case trace.EventStateTransition:
			st := e.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				continue
			}
			g := st.Resource.Goroutine()
			from, to := st.Goroutine()
			// A goroutine started during the trace shows only its
			// entry at first (WaitGroup.Go's, for the ledger's): a
			// later stack names what it runs.
			if k := who[g]; k == "" || strings.HasPrefix(k, "sync.(*WaitGroup).Go") {
				for _, s := range []trace.Stack{st.Stack, e.Stack()} {
					if k := goroutineKind(s); k != "" && (s == st.Stack || e.Goroutine() == g) {
						who[g] = k
						break
					}
				}
			}
			t := e.Time()
			if from == trace.GoRunning && to == trace.GoWaiting {
				onPath[g] = stackHas(e.Stack(), match)
			}
			// Running and in a system call are separate stretches: a
			// call blocked on the disk leaves the CPU to others (the
			// runtime hands its P on after 20 µs), one copying a page
			// holds it, and the trace cannot tell which.
			if onCPU(from) && from != to {
				if start, ok := runFrom[g]; ok {
					held = append(held, interval{start, t, g, fmt.Sprintf("%v→%v in %s", from, to, stackTop(e.Stack(), 4)), from == trace.GoSyscall})
					delete(runFrom, g)
				}
			}
			if onCPU(to) && from != to {
				runFrom[g] = t
			}
			if to == trace.GoRunnable {
				readyAt[g] = t
			}
			if from == trace.GoRunnable && to == trace.GoRunning {
				if at, ok := readyAt[g]; ok && who[g] == "net/http.(*conn).serve" && onPath[g] {
					waits = append(waits, wait{g, at, t})
				}
			}
		}
	}
	if len(waits) == 0 {
		return nil, fmt.Errorf("no request goroutine (net/http.(*conn).serve, blocked in %q) waited in the trace", match)
	}
	slices.SortFunc(held, func(a, b interval) int { return cmp.Compare(a.from, b.from) })
	slices.SortFunc(waits, func(a, b wait) int { return cmp.Compare(b.to-b.from, a.to-a.from) })

	rep := &WaitReport{Waits: len(waits), Quantiles: map[float64]float64{},
		Longest: map[string]float64{}, Stretches: map[string][]Stretch{}}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		w := waits[min(int(float64(len(waits))*(1-q)), len(waits)-1)]
		rep.Quantiles[q] = float64(w.to-w.from) / 1e3
	}
	rep.Slowest = max(len(waits)/100, 1)
	ms := map[string]float64{}
	var total float64
	for _, w := range waits[:rep.Slowest] {
		i := sort.Search(len(held), func(i int) bool { return held[i].to > w.from })
		for ; i < len(held) && held[i].from < w.to; i++ {
			h := held[i]
			d := float64(min(h.to, w.to) - max(h.from, w.from))
			if d <= 0 {
				continue
			}
			name := holder(who[h.g], h.syscall)
			ms[name] += d / 1e6
			total += d / 1e6
			rep.Longest[name] = max(rep.Longest[name], float64(h.to-h.from)/1e3)
		}
		for _, s := range stw {
			if d := float64(min(s.to, w.to) - max(s.from, w.from)); d > 0 {
				rep.STW += d / 1e6
			}
		}
	}
	for k, v := range ms {
		rep.Held = append(rep.Held, Share{k, v, v / total})
	}
	slices.SortFunc(rep.Held, func(a, b Share) int { return cmp.Compare(b.Ms, a.Ms) })

	type key struct{ who, ended string }
	count, sum := map[key]int{}, map[key]float64{}
	for _, h := range held {
		if d := float64(h.to - h.from); d > longStretch {
			k := key{holder(who[h.g], h.syscall), h.ended}
			count[k]++
			sum[k] += d / 1e3
		}
	}
	for k, n := range count {
		rep.Stretches[k.who] = append(rep.Stretches[k.who], Stretch{k.ended, n, sum[k] / float64(n)})
	}
	for _, s := range rep.Stretches {
		slices.SortFunc(s, func(a, b Stretch) int { return b.Count - a.Count })
	}
	return rep, nil
}

// holder names a goroutine kind's stretches, those in system calls apart.
func holder(kind string, syscall bool) string {
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

// stackHas reports whether a frame of s contains sub.
func stackHas(s trace.Stack, sub string) bool {
	for f := range s.Frames() {
		if strings.Contains(f.Func, sub) {
			return true
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
	fmt.Fprintf(w, "%d waits of request goroutines to run: p50 %.1f µs, p90 %.1f, p99 %.1f, p99.9 %.1f\n",
		r.Waits, r.Quantiles[0.5], r.Quantiles[0.9], r.Quantiles[0.99], r.Quantiles[0.999])
	fmt.Fprintf(w, "during the slowest %d (1%%), the CPU was held by (stop-the-world %.2f ms of it):\n", r.Slowest, r.STW)
	for _, s := range r.Held {
		fmt.Fprintf(w, "  %5.1f%%  %8.2f ms  longest stretch %7.0f µs  %s\n", 100*s.Fraction, s.Ms, r.Longest[s.Who], s.Who)
	}
	fmt.Fprintf(w, "stretches over %d µs of the top holders, by how they ended:\n", longStretch/1000)
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
	rep, err := analyzeWaits(f, waitsMatch)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rep.Write(w)
	return nil
}
