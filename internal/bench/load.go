package main

import (
	"bytes"
	"context"
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
	// the same to the other side; Rounds such pairs alternate which side
	// goes first, so both see the same machine conditions.
	PerBlock int
	Rounds   int
	// Warmup requests go to each side first, unmeasured.
	Warmup int
	// Meter, when set, reads the via side's server around each of its
	// blocks, for its CPU time and allocations per request.
	Meter *Meter
}

// Result is an interleaved comparison of latency to the last byte (Total)
// and to the first byte (First).
type Result struct {
	Total, First Comparison
	FirstError   error
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

// Compare runs l against direct and via in alternating blocks.
func Compare(ctx context.Context, direct, via Target, l Load) (Result, error) {
	if l.Concurrency < 1 || l.PerBlock < 1 || l.Rounds < 1 {
		return Result{}, fmt.Errorf("bad load %+v", l)
	}
	var d, v side
	var spent Counters
	metered := l.Meter != nil
	viaBlock := func() {
		var before Counters
		if metered {
			var err error
			if before, err = l.Meter.Read(ctx); err != nil {
				metered = false
			}
		}
		runBlock(ctx, via, l.Spec, l.Concurrency, l.PerBlock, &v)
		if metered {
			// What the server does just after its answers (a capture
			// compressed once the answer is out) belongs to them.
			time.Sleep(settle)
			after, err := l.Meter.ReadAfter(ctx)
			if err != nil {
				metered = false
				return
			}
			c := l.Meter.Cost(before, after)
			spent.CPU += c.CPU
			spent.Mallocs += c.Mallocs
			if c.LedgerCommits < 0 || spent.LedgerCommits < 0 {
				spent.LedgerRows, spent.LedgerCommits = -1, -1
			} else {
				spent.LedgerRows += c.LedgerRows
				spent.LedgerCommits += c.LedgerCommits
			}
			if c.Syscalls < 0 || spent.Syscalls < 0 {
				spent.Syscalls = -1
			} else {
				spent.Syscalls += c.Syscalls
			}
		}
	}
	if l.Warmup > 0 {
		for _, t := range []Target{direct, via} {
			var s side
			runBlock(ctx, t, l.Spec, l.Concurrency, l.Warmup, &s)
			if s.errors > 0 {
				return Result{}, fmt.Errorf("warming up %s: %w", t.Name, s.firstErr)
			}
		}
	}
	for r := 0; r < l.Rounds; r++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if r%2 == 0 {
			runBlock(ctx, direct, l.Spec, l.Concurrency, l.PerBlock, &d)
			viaBlock()
		} else {
			viaBlock()
			runBlock(ctx, direct, l.Spec, l.Concurrency, l.PerBlock, &d)
		}
	}
	res := Result{
		Total: Comparison{Direct: Summarize(d.total), Via: Summarize(v.total), Errors: d.errors + v.errors,
			DirectRPS: rps(len(d.total), d.elapsed), ViaRPS: rps(len(v.total), v.elapsed)},
		First: Comparison{Direct: Summarize(d.first), Via: Summarize(v.first)},
	}
	res.First.DirectRPS, res.First.ViaRPS = res.Total.DirectRPS, res.Total.ViaRPS
	if n := l.Rounds * l.PerBlock; metered {
		res.ViaCPU = spent.CPU / time.Duration(n)
		res.ViaAllocs = float64(spent.Mallocs) / float64(n)
		if spent.Syscalls > 0 {
			res.ViaSyscalls = float64(spent.Syscalls) / float64(n)
		}
		if spent.LedgerCommits > 0 {
			res.RowsPerCommit = float64(spent.LedgerRows) / float64(spent.LedgerCommits)
		}
	}
	res.FirstError = d.firstErr
	if res.FirstError == nil {
		res.FirstError = v.firstErr
	}
	return res, nil
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
