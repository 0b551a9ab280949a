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
	"CPU µs/req is the server's CPU time (user and system, all threads, from the kernel's per-process CPU clock) over its blocks, each read 20 ms after the block's last answer so that work done just after an answer counts (the gateway's blocks in the non-streaming sections, not the PostgreSQL section's: once it has used under 5 ms of CPU in 1.1 s, longer than its checkpoint interval and row log segment age, so that its index rounds, WAL checkpoint and segment retirement count too, and do not run in the bare proxy's next block on the same CPU; that wait's idle CPU, 1–2 ms a second, counts against the gateway), divided by the block's requests. allocs/req is the difference of the server's own go_memstats_mallocs_total (the gateway's /metrics; the bare proxy serves the same counter on a second port, away from its request path) over the same blocks, less what reading the counter itself allocates (measured before the run by reading it several times in a row).",
	"Latency is measured by the client from sending the request to reading the last byte (TTLB), and to the first body byte (TTFB); a request is counted only if it answered 200.",
	"The gateway makes each request's ledger row durable before the answer's last bytes go out (appended to the ledger's row log: the requests finishing together share one write(2); its indexer commits the logged rows to SQLite every 10 ms, 60 to 120 per transaction under this load) and reserves/settles the quota bucket; captures (bodies and redacted headers) are not waited for: they are committed with the next batch.",
	"Under-load RSS is the largest VmRSS sampled every 20 ms during the concurrency-50 runs; the big-stream growth is the largest VmRSS during the stream minus VmRSS just before it. RssAnon is the gateway's own memory (Go heap, stacks, SQLite's page cache); RssFile is pages of its executable and libraries, clean page cache the kernel can drop (aperture unmaps those only its startup used once it serves, so RssFile is what serving touches).",
}

// pinningNote says what the placement of the processes means for the
// numbers.
func pinningNote(p Pinning) string {
	if p.Pinned() {
		return "The server under test has a CPU of its own (" + cpuNoun(p.Server) + ", GOMAXPROCS=" + fmt.Sprint(len(p.Server)) +
			"); the load generator and the fake provider share the others. Each child is started with its CPU affinity " +
			"(inherited by all its threads) and GOMAXPROCS set to its CPUs; the harness sets the affinity of each of its own threads. " +
			"Throughput through a server is then bounded by that server's own CPU per request, not by the load generator's."
	}
	return "Nothing is pinned in this run (" + p.Why + "): the load generator (this harness), the fake provider and the server under test " +
		"share the machine's CPUs. A gateway request costs CPU that a direct one does not, so at high concurrency throughput through it is " +
		"bounded by the CPU all three processes need per request, not by waiting."
}

// writeReport writes the report to path, keeping the hand-written part of
// an existing file; micro, when not empty, are the micro-benchmarks'
// result lines and microCommand the command that produced them.
func writeReport(path string, rep *Report, micro, microCommand string) error {
	analysis := defaultAnalysis
	if old, err := os.ReadFile(path); err == nil {
		if _, kept, ok := strings.Cut(string(old), notesMarker); ok {
			analysis = kept
		}
	}
	rep.Notes = append(rep.Notes, pinningNote(rep.Pinning))
	rep.Notes = append(rep.Notes, methodNotes...)
	var b bytes.Buffer
	if err := rep.WriteMarkdown(&b); err != nil {
		return err
	}
	if micro != "" {
		fmt.Fprintf(&b, "\n## Micro-benchmarks (hot paths)\n\nCommand: `%s` (run by `%s`, on all the CPUs, not pinned).\n\n```\n%s```\n",
			microCommand, rep.Command, micro)
	}
	b.WriteString("\n" + notesMarker + "\n")
	b.WriteString(analysis)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
