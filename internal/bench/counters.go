package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Counters are what a server process has spent so far.
type Counters struct {
	CPU     time.Duration // user and system time, all threads
	Mallocs int64         // heap objects allocated (go_memstats_mallocs_total)
	// Syscalls is the read- and write-family system calls (read, write,
	// pread, pwrite, recvfrom, sendto, ...: /proc/PID/io's syscr + syscw),
	// all threads; -1 where the kernel does not say. Each costs the
	// server's core a kernel round trip, so they show where CPU goes that
	// a Go profile calls "Syscall6".
	Syscalls int64
	// LedgerRows and LedgerCommits are the gateway's ledger rows written
	// and write transactions committed (aperture_ledger_*_total), -1 for
	// a server without a ledger: their ratio is how many rows one
	// SQLite transaction holds (the indexer's batch of the row log).
	LedgerRows, LedgerCommits int64
}

// mallocsMetric is the Prometheus counter of heap objects allocated, as
// client_golang's Go collector names it: the runtime's
// /gc/heap/allocs:objects plus /gc/heap/tiny/allocs:objects.
const mallocsMetric = "go_memstats_mallocs_total"

// Meter reads a server's counters: its CPU time from the kernel and its
// allocations from its own metrics endpoint (the gateway's /metrics; the
// bare proxy serves the same counter on a port of its own, away from the
// load). Reading the endpoint allocates in the server too; Calibrate
// measures how much, and Cost takes it off.
type Meter struct {
	Pid        int
	MallocsURL string
	client     *http.Client
	// scrape is the heap objects one read of MallocsURL allocates in the
	// server, as counted between two reads.
	scrape int64
}

// NewMeter meters process pid, reading its allocations from mallocsURL,
// and calibrates the cost of that read.
func NewMeter(ctx context.Context, pid int, mallocsURL string) (*Meter, error) {
	m := &Meter{Pid: pid, MallocsURL: mallocsURL, client: NewTarget("counters", mallocsURL).Client}
	if err := m.Calibrate(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// calibrationReads is how many reads Calibrate averages over.
const calibrationReads = 20

// Calibrate reads the allocation counter many times in a row with nothing
// else going on: the mean difference between two reads is what a read
// itself allocates in the server (the part of the first after it took the
// count, the part of the second before). The runtime counts a span's
// objects when the span is swapped out of its per-CPU cache, so a single
// difference may be off by up to a span's worth; the mean of many is not.
func (m *Meter) Calibrate(ctx context.Context) error {
	first, err := m.mallocs(ctx)
	if err != nil {
		return err
	}
	last := first
	for range calibrationReads {
		if last, err = m.mallocs(ctx); err != nil {
			return err
		}
	}
	m.scrape = max(last-first, 0) / calibrationReads
	return nil
}

// Read takes the server's counters; the CPU time is read after the
// allocation counter, so the read's own CPU falls outside a Read-to-Read
// interval (except what the server does after answering).
func (m *Meter) Read(ctx context.Context) (Counters, error) {
	n, rows, commits, err := m.scrapeCounters(ctx)
	if err != nil {
		return Counters{}, err
	}
	cpu, err := processCPU(m.Pid)
	if err != nil {
		return Counters{}, err
	}
	return Counters{CPU: cpu, Mallocs: n, Syscalls: processSyscalls(m.Pid), LedgerRows: rows, LedgerCommits: commits}, nil
}

// ReadAfter is Read for the end of an interval: CPU time first, so the
// allocation read's CPU is outside the interval.
func (m *Meter) ReadAfter(ctx context.Context) (Counters, error) {
	cpu, err := processCPU(m.Pid)
	if err != nil {
		return Counters{}, err
	}
	sys := processSyscalls(m.Pid)
	n, rows, commits, err := m.scrapeCounters(ctx)
	if err != nil {
		return Counters{}, err
	}
	return Counters{CPU: cpu, Mallocs: n, Syscalls: sys, LedgerRows: rows, LedgerCommits: commits}, nil
}

// Cost is what the server spent between a Read and a ReadAfter, less
// what the two reads of its allocation counter allocated themselves.
func (m *Meter) Cost(before, after Counters) Counters {
	c := Counters{CPU: after.CPU - before.CPU, Mallocs: max(after.Mallocs-before.Mallocs-m.scrape, 0), Syscalls: -1}
	if before.Syscalls >= 0 && after.Syscalls >= 0 {
		// Both counts are taken outside the scrapes (a stray read of the
		// scrape's idle connection may fall inside: one in a block).
		c.Syscalls = after.Syscalls - before.Syscalls
	}
	c.LedgerRows, c.LedgerCommits = -1, -1
	if before.LedgerCommits >= 0 && after.LedgerCommits >= 0 {
		c.LedgerRows, c.LedgerCommits = after.LedgerRows-before.LedgerRows, after.LedgerCommits-before.LedgerCommits
	}
	return c
}

// processSyscalls is process pid's read- and write-family system calls so
// far (/proc/PID/io: syscr + syscw), or -1 where that cannot be read.
func processSyscalls(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return -1
	}
	return parseSyscalls(string(b))
}

// parseSyscalls sums syscr and syscw in the text of /proc/PID/io, or -1.
func parseSyscalls(text string) int64 {
	var sum int64
	found := 0
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "syscr" && k != "syscw") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return -1
		}
		sum += n
		found++
	}
	if found != 2 {
		return -1
	}
	return sum
}

// mallocs reads the server's allocation counter.
func (m *Meter) mallocs(ctx context.Context) (int64, error) {
	n, _, _, err := m.scrapeCounters(ctx)
	return n, err
}

// scrapeCounters reads the server's allocation counter and, where it has
// a ledger, its rows and commits (-1 otherwise).
func (m *Meter) scrapeCounters(ctx context.Context) (mallocs, rows, commits int64, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", m.MallocsURL, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Accept", "text/plain")
	res, err := m.client.Do(req)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("reading %s: %w", m.MallocsURL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("reading %s: %w", m.MallocsURL, err)
	}
	if res.StatusCode != http.StatusOK {
		return 0, 0, 0, fmt.Errorf("reading %s: %s: %.200s", m.MallocsURL, res.Status, body)
	}
	text := string(body)
	if mallocs, err = parseMallocs(text); err != nil {
		return 0, 0, 0, err
	}
	return mallocs, metricOrNone(text, ledgerRowsMetric), metricOrNone(text, ledgerCommitsMetric), nil
}

// The gateway's ledger counters.
const (
	ledgerRowsMetric    = "aperture_ledger_rows_total"
	ledgerCommitsMetric = "aperture_ledger_transactions_total"
)

// metricOrNone is the value of an unlabelled metric in text, or -1.
func metricOrNone(text, name string) int64 {
	v, err := parseMetric(text, name)
	if err != nil {
		return -1
	}
	return v
}

// parseMallocs finds go_memstats_mallocs_total in a Prometheus text
// exposition. client_golang writes large counters in exponent form
// ("1.234567e+06"), exact as float64 below 2^53.
func parseMallocs(text string) (int64, error) { return parseMetric(text, mallocsMetric) }

// parseMetric finds the unlabelled metric name in a Prometheus text
// exposition.
func parseMetric(text, name string) (int64, error) {
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%s %q: not a count", name, f[0])
		}
		return int64(v), nil
	}
	return 0, fmt.Errorf("no %s in the metrics (%d bytes)", name, len(text))
}

// heapObjectsAllocated is this process's go_memstats_mallocs_total,
// computed as client_golang computes it.
func heapObjectsAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/tiny/allocs:objects"}}
	metrics.Read(s)
	var n uint64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			n += x.Value.Uint64()
		}
	}
	return n
}

// countersHandler serves this process's allocation counter in the
// Prometheus text format, for the bare proxy's Meter.
func countersHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "%s %d\n", mallocsMetric, heapObjectsAllocated())
	})
}
