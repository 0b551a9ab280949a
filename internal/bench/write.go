package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// notesMarker separates the generated part of BENCHMARKS.md from the
// hand-written analysis after it, which a rerun keeps.
const notesMarker = "<!-- Everything below this line is hand-written and kept when the harness rewrites the file. -->"

// defaultAnalysis starts the hand-written part when there is none yet.
const defaultAnalysis = `
## Analysis

(Write the profile findings here: what bounds each target that is not met, with the profile that shows it.
Profiles: ` + "`go test -run '^$' -bench BenchmarkGateway -cpuprofile cpu.out -memprofile mem.out ./gateway`" + `.)
`

// methodNotes are facts about how the numbers were taken, true of every run.
var methodNotes = []string{
	"The load generator (this harness), the fake provider and the gateway share the machine's CPUs. A gateway request costs CPU that a direct one does not, so at high concurrency throughput through the gateway is bounded by the CPU all three processes need per request, not by waiting.",
	"Latency is measured by the client from sending the request to reading the last byte (TTLB), and to the first body byte (TTFB); a request is counted only if it answered 200.",
	"The gateway queues each request's ledger row (no request waits on the database; one writer commits what arrives in each 10 ms in one SQLite WAL transaction) and reserves/settles the quota bucket; captures (bodies and redacted headers) are compressed after the answer is out and queued behind the row.",
	"Under-load RSS is the largest VmRSS sampled every 20 ms during the concurrency-50 runs; the big-stream growth is the largest VmRSS during the stream minus VmRSS just before it.",
}

// writeReport writes the report to path, keeping the hand-written part of
// an existing file.
func writeReport(path string, rep *Report, micro string) error {
	analysis := defaultAnalysis
	if old, err := os.ReadFile(path); err == nil {
		if _, kept, ok := strings.Cut(string(old), notesMarker); ok {
			analysis = kept
		}
	}
	rep.Notes = append(rep.Notes, methodNotes...)
	var b bytes.Buffer
	if err := rep.WriteMarkdown(&b); err != nil {
		return err
	}
	if micro != "" {
		fmt.Fprintf(&b, "\n## Micro-benchmarks (hot paths)\n\n```\n%s```\n", micro)
	}
	b.WriteString("\n" + notesMarker + "\n")
	b.WriteString(analysis)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
