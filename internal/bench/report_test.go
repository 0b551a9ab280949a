package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	cmp := func(d, v time.Duration, drps, vrps float64) Result {
		return Result{
			Total: Comparison{Direct: Summary{N: 100, P50: d, P99: 2 * d}, Via: Summary{N: 100, P50: v, P99: 2 * v}, DirectRPS: drps, ViaRPS: vrps},
			First: Comparison{Direct: Summary{N: 100, P50: d / 2, P99: d}, Via: Summary{N: 100, P50: v / 2, P99: v}},
		}
	}
	r := &Report{Machine: Machine{CPUs: 2, CPUModel: "Test CPU"}, Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Command: "make bench"}
	for _, api := range []string{"chat", "responses", "messages"} {
		r.NonStream = append(r.NonStream,
			Row{Label: api, Concurrency: 10, Result: cmp(100*time.Microsecond, 250*time.Microsecond, 9000, 6000)},
			Row{Label: api, Concurrency: 50, Result: cmp(time.Millisecond, 2*time.Millisecond, 9000, 4000)})
		r.Stream = append(r.Stream, Row{Label: api, Concurrency: 1, Result: cmp(200*time.Microsecond, 600*time.Microsecond, 1, 1)})
	}
	r.Memory = Memory{Idle: 20 << 20, UnderLoad: 50 << 20, Peak: 70 << 20, StreamBytes: 1 << 30, StreamBefore: 30 << 20, StreamPeak: 55 << 20, StreamTime: time.Second}
	r.ColdStart = []time.Duration{150 * time.Millisecond, 90 * time.Millisecond, 300 * time.Millisecond}
	r.PureTunnel = []Row{{Label: "echo", Concurrency: 1, Result: cmp(100*time.Microsecond, 600*time.Microsecond, 1, 1)}}
	r.TunnelMBs = Throughput{Bytes: 1 << 20, DirectMBs: 1000, ViaMBs: 80}
	r.Floor = []Row{
		{Label: "chat", Concurrency: 10, Result: cmp(100*time.Microsecond, 180*time.Microsecond, 9000, 7000)},
		{Label: "chat", Concurrency: 50, Result: cmp(time.Millisecond, 1500*time.Microsecond, 9000, 5500)},
	}
	r.Floor[1].Result.ViaCPU = 55 * time.Microsecond
	return r
}

func TestChecks(t *testing.T) {
	want := map[string]bool{
		"overhead p50, chat, c=10":                    true,  // 0.15 ms
		"overhead p99, chat, c=10":                    true,  // 0.3 ms
		"requests/s, chat, c=50":                      false, // 4000
		"streaming TTFB delta p50, chat, c=1":         true,  // 0.2 ms
		"RSS under load":                              true,  // 50 MiB
		"RSS growth over a 1024.0 MiB stream":         false, // 25 MiB
		"cold start to first served request (median)": true,  // 150 ms
		"tunnel overhead p50, warm connection, c=1":   true,  // 0.5 ms
		"tunnel throughput":                           false, // 80 MB/s
	}
	got := map[string]Check{}
	for _, c := range sampleReport().Checks() {
		got[c.Name] = c
	}
	for name, pass := range want {
		c, ok := got[name]
		if !ok {
			t.Errorf("no check %q", name)
			continue
		}
		if !c.Known || c.Pass != pass {
			t.Errorf("%s: known %v pass %v (measured %s), want pass %v", name, c.Known, c.Pass, c.Measured, pass)
		}
	}
	for _, c := range (&Report{}).Checks() {
		if c.Known || c.Pass {
			t.Errorf("empty report: %s known=%v pass=%v, want not run", c.Name, c.Known, c.Pass)
		}
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"Command: `make bench`", "Test CPU", "2026-01-02 03:04 UTC",
		"| chat | 10 | 0.100 | 0.250 | 0.150 | 2.50× |",                          // non-streaming row: direct, via, Δ, ratio
		"| overhead p50, chat, c=10 | ≤ 0.200 ms | 0.150 ms | pass | 0.080 ms |", // last: the bare proxy's
		"| requests/s, chat, c=50 | ≥ 5000 | 4000 | FAIL | 5500 |",
		"| overhead p50, messages, c=10 | ≤ 0.200 ms | 0.150 ms | pass |  |",
		"## Floor: a bare Go reverse proxy",
		"| chat | 50 | 1.000 | 1.500 | 0.500 | 1.50× |",
		"| 9000 | 5500 | 0.61 | 55 | 100 |", // req/s, CPU per request, n
		"median 150.000 ms", "growth 25.0 MiB",
		"through the tunnel 80 MB/s",
		"| tunnel overhead p50, warm connection, c=1 | ≤ 1.000 ms | 0.500 ms | pass |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestWriteReportKeepsAnalysis(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := writeReport(path, sampleReport(), "BenchmarkX-2  10  5 ns/op\n"); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if !strings.Contains(string(first), "## Analysis") || !strings.Contains(string(first), "BenchmarkX-2") {
		t.Fatalf("first write lacks the default analysis or micro results:\n%s", first)
	}
	edited := strings.Replace(string(first), "## Analysis", "## Analysis\n\nHAND WRITTEN FINDING", 1)
	os.WriteFile(path, []byte(edited), 0o644)
	r := sampleReport()
	r.ColdStart = []time.Duration{42 * time.Millisecond}
	if err := writeReport(path, r, ""); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	s := string(second)
	if !strings.Contains(s, "HAND WRITTEN FINDING") || !strings.Contains(s, "median 42.000 ms") || strings.Contains(s, "median 150.000") {
		t.Errorf("rewrite must refresh the numbers and keep the analysis:\n%s", s)
	}
	if strings.Count(s, notesMarker) != 1 {
		t.Errorf("marker appears %d times", strings.Count(s, notesMarker))
	}
}

func TestBenchLines(t *testing.T) {
	out := "goos: linux\npkg: x/apis\nBenchmarkA-2 \t 100\t 5 ns/op\nPASS\nok  \tx/apis\t0.5s\n"
	if got := benchLines(out); got != "pkg: x/apis\nBenchmarkA-2 \t 100\t 5 ns/op\n" {
		t.Errorf("benchLines = %q", got)
	}
}
