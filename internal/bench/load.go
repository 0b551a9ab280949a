package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Target is one way to reach an upstream: directly, through the gateway's
// --listen port, or through ts-unplug.
type Target struct {
	Name   string
	Base   string // e.g. "http://127.0.0.1:8080"
	Client *http.Client
	// split, when set, replaces Base: each request goes to the next of
	// its bases in turn (several gateway replicas behind one target).
	split *roundRobin
}

// roundRobin hands out its bases in turn, safely from many workers: over
// any n requests each base gets n/len or n/len+1 of them, whatever the
// concurrency, so the load is split evenly per request, not per worker.
type roundRobin struct {
	bases []string
	n     atomic.Uint64
}

// next is the base for the next request.
func (r *roundRobin) next() string {
	i := r.n.Add(1) - 1
	return r.bases[i%uint64(len(r.bases))]
}

// counts are how many requests each base has been given so far.
func (r *roundRobin) counts() []int64 {
	n, k := r.n.Load(), uint64(len(r.bases))
	c := make([]int64, k)
	for i := range c {
		c[i] = int64(n / k)
		if uint64(i) < n%k {
			c[i]++
		}
	}
	return c
}

// NewSplitTarget is a target whose requests go round-robin to bases,
// over one connection pool (a warm connection to each).
func NewSplitTarget(name string, bases ...string) Target {
	t := NewTarget(name, bases[0])
	t.split = &roundRobin{bases: bases}
	return t
}

// base is where the next request goes.
func (t Target) base() string {
	if t.split != nil {
		return t.split.next()
	}
	return t.Base
}

// NewTarget returns a target with its own connection pool, sized so that
// every worker keeps a warm keep-alive connection: the numbers measure
// requests, not TCP handshakes.
func NewTarget(name, base string) Target {
	tr := &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return Target{Name: name, Base: base, Client: &http.Client{Transport: tr}}
}

// Close drops the target's idle connections.
func (t Target) Close() { t.Client.CloseIdleConnections() }

// RequestSpec is one request to send, again and again.
type RequestSpec struct {
	Method string
	Path   string
	Body   []byte
	Header http.Header
}

// Timing is what one request took: until the first body byte and until
// the last.
type Timing struct {
	First, Total time.Duration
	Bytes        int64
}

// Do sends spec to t, reads the whole answer and times it. A status other
// than 200 is an error.
func (t Target) Do(ctx context.Context, spec RequestSpec) (Timing, error) {
	req, err := http.NewRequestWithContext(ctx, spec.Method, t.base()+spec.Path, bytes.NewReader(spec.Body))
	if err != nil {
		return Timing{}, fmt.Errorf("building request: %w", err)
	}
	for k, v := range spec.Header {
		req.Header[k] = v
	}
	start := time.Now()
	res, err := t.Client.Do(req)
	if err != nil {
		return Timing{}, fmt.Errorf("%s %s: %w", t.Name, spec.Path, err)
	}
	defer res.Body.Close()
	var tm Timing
	var one [1]byte
	n, rerr := io.ReadFull(res.Body, one[:])
	tm.First = time.Since(start)
	tm.Bytes = int64(n)
	if rerr == nil {
		m, err := io.Copy(io.Discard, res.Body)
		tm.Bytes += m
		rerr = err
	} else if rerr == io.ErrUnexpectedEOF || rerr == io.EOF {
		rerr = nil
	}
	tm.Total = time.Since(start)
	if res.StatusCode != http.StatusOK {
		return tm, fmt.Errorf("%s %s: status %s", t.Name, spec.Path, res.Status)
	}
	if rerr != nil {
		return tm, fmt.Errorf("%s %s: reading answer: %w", t.Name, spec.Path, rerr)
	}
	return tm, nil
}

// Load describes one interleaved comparison.
type Load struct {
	Spec        RequestSpec
	Concurrency int
	// PerBlock requests are sent to one side by Concurrency workers, then
	// the same to the other side (or sides: CompareAll); each of Rounds
	// rounds starts with another side, so all see the same machine
	// conditions.
	PerBlock int
	Rounds   int
	// Warmup requests go to each side first, unmeasured.
	Warmup int
	// Meter, when set, reads the via side's server around each of its
	// blocks, for its CPU time and allocations per request (Compare only).
	Meter *Meter
}

// primer is how many unmeasured requests per worker start each block: a
// side whose block follows another's idle wait (Via.Quiet) would
// otherwise time its first answers on a cold CPU, caches and connections.
const primer = 2

// Result is an interleaved comparison of latency to the last byte (Total)
// and to the first byte (First).
type Result struct {
	Total, First Comparison
	FirstError   error
	// QuietTimeouts is how many of the via side's waits for its server to
	// go quiet (Via.Quiet) gave up: its background work may have run in
	// the next side's block.
	QuietTimeouts int
	// ViaCPU and ViaAllocs are what the via side's server spent per via
	// request: CPU time and heap objects allocated (0 when not metered).
	ViaCPU    time.Duration
	ViaAllocs float64
	// ViaSyscalls is the via side's read- and write-family system calls
	// per request (0 when not counted).
	ViaSyscalls float64
	// RowsPerCommit is how many ledger rows the gateway's write
	// transactions held on average over the via blocks (0: no ledger).
	RowsPerCommit float64
}

// settle is how long a metered block waits after its last answer before
// it reads the server's counters.
const settle = 20 * time.Millisecond

// side accumulates one target's samples over the blocks.
type side struct {
	total, first []time.Duration
	elapsed      time.Duration
	errors       int
	firstErr     error
}

// Via is one side of a comparison against direct: the target, and
// optionally a meter of its server and a wait for that server to go quiet.
type Via struct {
	Target Target
	// Meter, when set, reads the server around each of this side's blocks,
	// for its CPU time and allocations per request.
	Meter *Meter
	// Quiet, when set, runs after each of this side's blocks, before its
	// meter's closing read: it waits until the server has finished what
	// the block left it to do (the gateway's index rounds, WAL checkpoint
	// and row log segment), so that this work is metered as this side's and does
	// not run during the next side's block on the same CPU. It runs after
	// the warm-up too. An error is said and counted (QuietTimeouts), not
	// fatal: the wait is for fairness, not correctness.
	Quiet func(context.Context) error
}

// SideError is a comparison's failure on one side (its warm-up failed).
type SideError struct {
	Side string // the Target's Name
	Err  error
}

func (e *SideError) Error() string { return "warming up " + e.Side + ": " + e.Err.Error() }
func (e *SideError) Unwrap() error { return e.Err }

// Compare runs l against direct and via in alternating blocks, each
// started by primer unmeasured requests.
func Compare(ctx context.Context, direct, via Target, l Load) (Result, error) {
	meter := l.Meter
	l.Meter = nil
	res, err := CompareAll(ctx, direct, []Via{{Target: via, Meter: meter}}, l)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// CompareAll runs l against direct and each of vias in rounds. A round
// sends one block to every side, each round starting one side later than
// the one before (direct, a, b; then a, b, direct; then b, direct, a; ...),
// so every side sees the same machine conditions and each takes every
// place in a round in turn. With one via this is Compare's alternation.
// The results are in the order of vias, each against the same direct
// samples. l.Meter must be nil: each Via has its own.
func CompareAll(ctx context.Context, direct Target, vias []Via, l Load) ([]Result, error) {
	if l.Concurrency < 1 || l.PerBlock < 1 || l.Rounds < 1 || len(vias) == 0 {
		return nil, fmt.Errorf("bad load %+v for %d sides", l, len(vias))
	}
	if l.Meter != nil {
		return nil, errors.New("CompareAll: set each Via's Meter, not the Load's")
	}
	var d side
	sides := make([]viaSide, len(vias))
	for i, v := range vias {
		sides[i] = viaSide{Via: v, metered: v.Meter != nil}
	}
	if l.Warmup > 0 {
		var s side
		runBlock(ctx, direct, l.Spec, l.Concurrency, l.Warmup, &s)
		if s.errors > 0 {
			return nil, &SideError{Side: direct.Name, Err: s.firstErr}
		}
		for i := range sides {
			v := &sides[i]
			var s side
			runBlock(ctx, v.Target, l.Spec, l.Concurrency, l.Warmup, &s)
			if s.errors > 0 {
				return nil, &SideError{Side: v.Target.Name, Err: s.firstErr}
			}
			v.quiet(ctx)
		}
	}
	n := len(vias) + 1 // sides in a round; place 0 is direct
	for r := 0; r < l.Rounds; r++ {
		for k := range n {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			switch place := (r + k) % n; place {
			case 0:
				prime(ctx, direct, l)
				runBlock(ctx, direct, l.Spec, l.Concurrency, l.PerBlock, &d)
			default:
				sides[place-1].block(ctx, l)
			}
		}
	}
	directTotal, directFirst := Summarize(d.total), Summarize(d.first)
	directRPS := rps(len(d.total), d.elapsed)
	results := make([]Result, len(sides))
	for i := range sides {
		s := &sides[i]
		res := Result{
			Total: Comparison{Direct: directTotal, Via: Summarize(s.total), Errors: d.errors + s.errors,
				DirectRPS: directRPS, ViaRPS: rps(len(s.total), s.elapsed)},
			First: Comparison{Direct: directFirst, Via: Summarize(s.first), DirectRPS: directRPS, ViaRPS: rps(len(s.total), s.elapsed)},
		}
		if n := l.Rounds * l.PerBlock; s.metered {
			res.ViaCPU = s.spent.CPU / time.Duration(n)
			res.ViaAllocs = float64(s.spent.Mallocs) / float64(n)
			if s.spent.Syscalls > 0 {
				res.ViaSyscalls = float64(s.spent.Syscalls) / float64(n)
			}
			if s.spent.LedgerCommits > 0 {
				res.RowsPerCommit = float64(s.spent.LedgerRows) / float64(s.spent.LedgerCommits)
			}
		}
		res.FirstError = d.firstErr
		if res.FirstError == nil {
			res.FirstError = s.firstErr
		}
		res.QuietTimeouts = s.quietTimeouts
		results[i] = res
	}
	return results, nil
}

// viaSide is one Via's samples and what its server spent over its blocks.
type viaSide struct {
	Via
	side
	metered       bool // false once a meter read failed: no cost is reported
	spent         Counters
	quietTimeouts int
}

// prime sends the unmeasured requests that start a block of t.
func prime(ctx context.Context, t Target, l Load) {
	var s side
	runBlock(ctx, t, l.Spec, l.Concurrency, primer*l.Concurrency, &s)
}

// quiet runs the side's Quiet, if any, and counts a failed wait.
func (s *viaSide) quiet(ctx context.Context) {
	if s.Quiet == nil {
		return
	}
	if err := s.Quiet(ctx); err != nil {
		s.quietTimeouts++
		say("%s: %v", s.Target.Name, err)
	}
}

// block runs one of the side's blocks, metering its server around it.
func (s *viaSide) block(ctx context.Context, l Load) {
	prime(ctx, s.Target, l)
	var before Counters
	if s.metered {
		var err error
		if before, err = s.Meter.Read(ctx); err != nil {
			s.metered = false
		}
	}
	runBlock(ctx, s.Target, l.Spec, l.Concurrency, l.PerBlock, &s.side)
	// What the server does just after its answers (a capture compressed
	// once the answer is out) belongs to them.
	time.Sleep(settle)
	s.quiet(ctx)
	if !s.metered {
		return
	}
	after, err := s.Meter.ReadAfter(ctx)
	if err != nil {
		s.metered = false
		return
	}
	c := s.Meter.Cost(before, after)
	s.spent.CPU += c.CPU
	s.spent.Mallocs += c.Mallocs
	if c.LedgerCommits < 0 || s.spent.LedgerCommits < 0 {
		s.spent.LedgerRows, s.spent.LedgerCommits = -1, -1
	} else {
		s.spent.LedgerRows += c.LedgerRows
		s.spent.LedgerCommits += c.LedgerCommits
	}
	if c.Syscalls < 0 || s.spent.Syscalls < 0 {
		s.spent.Syscalls = -1
	} else {
		s.spent.Syscalls += c.Syscalls
	}
}

func rps(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// runBlock sends n requests to t from c workers and adds the timings of
// the successful ones to s.
func runBlock(ctx context.Context, t Target, spec RequestSpec, c, n int, s *side) {
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			total := make([]time.Duration, 0, n/c+1)
			first := make([]time.Duration, 0, n/c+1)
			var errs int
			var firstErr error
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				tm, err := t.Do(ctx, spec)
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				total = append(total, tm.Total)
				first = append(first, tm.First)
			}
			mu.Lock()
			s.total = append(s.total, total...)
			s.first = append(s.first, first...)
			s.errors += errs
			if s.firstErr == nil {
				s.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.elapsed += time.Since(start)
}
