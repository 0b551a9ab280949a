package main

import (
	"bytes"
	"fmt"
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
	costly := func(r Result, cpu time.Duration, allocs float64) Result {
		r.ViaCPU, r.ViaAllocs = cpu, allocs
		return r
	}
	r := &Report{Machine: Machine{CPUs: 2, CPUModel: "Test CPU"}, Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Command: "make bench",
		Pinning: planPinning([]int{0, 1}, nil)}
	for _, api := range []string{"chat", "responses", "messages"} {
		// Gateway: overhead p50 0.15 ms, p99 0.3 ms at c=10; 4000 req/s at c=50; 500 allocs.
		r.NonStream = append(r.NonStream,
			Row{Label: api, Concurrency: 10, Result: costly(cmp(100*time.Microsecond, 250*time.Microsecond, 9000, 6000), 180*time.Microsecond, 500)},
			Row{Label: api, Concurrency: 50, Result: costly(cmp(time.Millisecond, 2*time.Millisecond, 9000, 4000), 150*time.Microsecond, 480)})
		r.Stream = append(r.Stream, Row{Label: api, Concurrency: 1, Result: cmp(200*time.Microsecond, 600*time.Microsecond, 1, 1)})
	}
	r.Memory = Memory{Idle: 20 << 20, UnderLoad: 38 << 20, Peak: 70 << 20, StreamBytes: 1 << 30, StreamBefore: 30 << 20, StreamPeak: 55 << 20, StreamTime: time.Second}
	r.ColdStart = []time.Duration{150 * time.Millisecond, 90 * time.Millisecond, 300 * time.Millisecond}
	r.PureTunnel = []Row{{Label: "echo", Concurrency: 1, Result: cmp(100*time.Microsecond, 600*time.Microsecond, 1, 1)}}
	r.TunnelMBs = Throughput{Bytes: 1 << 20, DirectMBs: 1000, ViaMBs: 80}
	// Bare proxy, chat only: overhead p50 0.08 ms, p99 0.16 ms at c=10
	// (the gateway's 0.15 is not within 1.5× of it, its 0.3 is within
	// 2×); 4400 req/s at c=50 (the gateway's 4000 is 0.91×); 400 allocs
	// (the gateway's 500 is 1.25×).
	r.Floor = []Row{
		{Label: "chat", Concurrency: 10, Result: costly(cmp(100*time.Microsecond, 180*time.Microsecond, 9000, 7000), 120*time.Microsecond, 400)},
		{Label: "chat", Concurrency: 50, Result: costly(cmp(time.Millisecond, 1500*time.Microsecond, 9000, 4400), 55*time.Microsecond, 300)},
	}
	return r
}

func TestChecks(t *testing.T) {
	want := map[string]bool{
		"requests/s, chat, c=50":                      true,  // 4000 ≥ 0.9 × 4400
		"overhead p50, chat, c=10":                    false, // 0.15 > 1.5 × 0.08
		"overhead p99, chat, c=10":                    true,  // 0.3 ≤ 2 × 0.16
		"allocations per request, chat, c=10":         true,  // 500 ≤ 1.5 × 400
		"RSS under load":                              true,  // 38 MiB
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
			t.Errorf("%s: known %v pass %v (measured %s, bare %s), want pass %v", name, c.Known, c.Pass, c.Measured, c.Floor, pass)
		}
	}
	// The gateway was measured for responses, the bare proxy was not:
	// a relative target without its reference is not run, not failed.
	for _, name := range []string{"requests/s, responses, c=50", "overhead p50, responses, c=10", "allocations per request, messages, c=10"} {
		if c := got[name]; c.Known || c.Pass || c.Measured == "" {
			t.Errorf("%s without the bare proxy: known %v pass %v measured %q; want not run, with the gateway's figure", name, c.Known, c.Pass, c.Measured)
		}
	}
	for _, c := range (&Report{}).Checks() {
		if c.Known || c.Pass {
			t.Errorf("empty report: %s known=%v pass=%v, want not run", c.Name, c.Known, c.Pass)
		}
	}
	if _, ok := got["streaming TTFB delta p50, chat, c=1"]; ok {
		t.Error("the absolute streaming target is replaced by the relative ones")
	}
}

func TestRelativeTargets(t *testing.T) {
	n := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	tests := []struct {
		name            string
		factor          float64
		atLeast         bool
		gw, bare        float64
		gwOK, bareOK    bool
		known, pass     bool
		measured, floor string
	}{
		{"rps above 0.9×", 0.9, true, 950, 1000, true, true, true, true, "950 (0.95×)", "1000"},
		{"rps at 0.9×", 0.9, true, 900, 1000, true, true, true, true, "900 (0.90×)", "1000"},
		{"rps below 0.9×", 0.9, true, 899, 1000, true, true, true, false, "899 (0.90×)", "1000"},
		{"rps faster than bare", 0.9, true, 1200, 1000, true, true, true, true, "1200 (1.20×)", "1000"},
		{"p50 within 1.5×", 1.5, false, 150, 100, true, true, true, true, "150 (1.50×)", "100"},
		{"p50 above 1.5×", 1.5, false, 151, 100, true, true, true, false, "151 (1.51×)", "100"},
		{"p99 within 2×", 2, false, 40, 20, true, true, true, true, "40 (2.00×)", "20"},
		{"p99 above 2×", 2, false, 41, 20, true, true, true, false, "41 (2.05×)", "20"},
		{"allocs within 1.5×", 1.5, false, 420, 300, true, true, true, true, "420 (1.40×)", "300"},
		{"allocs above 1.5×", 1.5, false, 451, 300, true, true, true, false, "451 (1.50×)", "300"},
		{"bare overhead zero: only zero passes", 1.5, false, 1, 0, true, true, true, false, "1", "0"},
		{"no bare proxy", 1.5, false, 100, 0, true, false, false, false, "100", ""},
		{"no gateway", 0.9, true, 0, 1000, false, true, false, false, "", "1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := relative("x", tt.factor, tt.atLeast, tt.gw, tt.bare, tt.gwOK, tt.bareOK, n)
			if c.Known != tt.known || c.Pass != tt.pass || c.Measured != tt.measured || c.Floor != tt.floor {
				t.Errorf("relative = known %v pass %v measured %q floor %q; want %v %v %q %q",
					c.Known, c.Pass, c.Measured, c.Floor, tt.known, tt.pass, tt.measured, tt.floor)
			}
		})
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
		"- Pinning: the server under test (aperture, the bare proxy, ts-unplug) on CPU 1; the load generator (this harness, with the tunnel's echo node) and the fake provider on CPU 0",
		"| chat | 10 | 0.100 | 0.250 | 0.150 | 2.50× |", // non-streaming row: direct, via, Δ, ratio
		"| requests/s, chat, c=50 | ≥ 0.9× bare proxy | 4000 (0.91×) | pass | 4400 |",
		"| overhead p50, chat, c=10 | ≤ 1.5× bare proxy | 0.150 ms (1.88×) | FAIL | 0.080 ms |",
		"| overhead p99, chat, c=10 | ≤ 2.0× bare proxy | 0.300 ms (1.88×) | pass | 0.160 ms |",
		"| allocations per request, chat, c=10 | ≤ 1.5× bare proxy | 500 (1.25×) | pass | 400 |",
		"| overhead p50, messages, c=10 | ≤ 1.5× bare proxy | 0.150 ms | not run |  |",
		"| RSS under load | ≤ 40.0 MiB | 38.0 MiB | pass |",
		"## Floor: a bare Go reverse proxy",
		"| chat | 50 | 1.000 | 1.500 | 0.500 | 1.50× |",
		"| via CPU µs/req | via allocs/req | via syscalls/req | rows/commit | n |",
		"| 9000 | 4400 | 0.49 | 55 | 300 |  |  | 100 |",  // the bare proxy: req/s, CPU and allocs per request, n
		"| 9000 | 6000 | 0.67 | 180 | 500 |  |  | 100 |", // the gateway
		"median 150.000 ms", "growth 25.0 MiB",
		"through the tunnel 80 MB/s",
		"| tunnel overhead p50, warm connection, c=1 | ≤ 1.000 ms | 0.500 ms | pass |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	// Every section's figures name the command that produced them.
	for _, section := range strings.Split(md, "\n## ")[1:] {
		if strings.HasPrefix(section, "Notes") {
			continue // method, no figures
		}
		if !strings.Contains(section, "Command: `make bench`") {
			t.Errorf("section %q does not name its command", strings.SplitN(section, "\n", 2)[0])
		}
	}
}

func TestWriteMarkdownUnpinned(t *testing.T) {
	r := sampleReport()
	r.Pinning = planPinning([]int{3}, nil)
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if want := "- Pinning: not pinned, every process shares the CPUs: only one CPU (3) is available to the harness"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
}

func TestWriteReportKeepsAnalysis(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := writeReport(path, sampleReport(), "BenchmarkX-2  10  5 ns/op\n", "go test -bench . ./x"); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if !strings.Contains(string(first), "## Analysis") || !strings.Contains(string(first), "BenchmarkX-2") {
		t.Fatalf("first write lacks the default analysis or micro results:\n%s", first)
	}
	for _, want := range []string{"Command: `go test -bench . ./x` (run by `make bench`", "The server under test has a CPU of its own (CPU 1, GOMAXPROCS=1)"} {
		if !strings.Contains(string(first), want) {
			t.Errorf("report lacks %q:\n%s", want, first)
		}
	}
	edited := strings.Replace(string(first), "## Analysis", "## Analysis\n\nHAND WRITTEN FINDING", 1)
	os.WriteFile(path, []byte(edited), 0o644)
	r := sampleReport()
	r.ColdStart = []time.Duration{42 * time.Millisecond}
	if err := writeReport(path, r, "", ""); err != nil {
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
