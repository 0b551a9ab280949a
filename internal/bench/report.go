package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Row is one interleaved comparison in a table.
type Row struct {
	Label       string // e.g. "chat" or "chat, 100 KB body"
	Concurrency int
	Result      Result
}

// Memory is the gateway's resident memory at the measured moments.
type Memory struct {
	Idle      int64 // VmRSS after start and one request, at rest
	UnderLoad int64 // largest VmRSS sampled during the concurrency-50 runs
	Peak      int64 // VmHWM at the end of the run
	// IdleSplit and UnderLoadSplit are the RssAnon/RssFile split of Idle
	// and of the UnderLoad sample (zero where the kernel has none).
	IdleSplit, UnderLoadSplit MemStatus
	// StreamBytes were streamed through the gateway in one answer;
	// StreamBefore is VmRSS before, StreamPeak the largest VmRSS during.
	StreamBytes  int64
	StreamBefore int64
	StreamPeak   int64
	StreamTime   time.Duration
}

// noteUnderLoad keeps the larger of the under-load peak so far and m.
func (m *Memory) noteUnderLoad(peak MemStatus) {
	if peak.RSS > m.UnderLoad {
		m.UnderLoad, m.UnderLoadSplit = peak.RSS, peak
	}
}

// StreamGrowth is how much the big stream grew the gateway's RSS.
func (m Memory) StreamGrowth() int64 { return max(0, m.StreamPeak-m.StreamBefore) }

// Report is everything one harness run measured.
type Report struct {
	Machine   Machine
	Date      time.Time
	Command   string
	Quick     bool
	Smoke     bool
	Pinning   Pinning
	Elapsed   time.Duration
	NonStream []Row
	Stream    []Row
	Memory    Memory
	ColdStart []time.Duration
	// Tunnel compares the gateway through ts-unplug with its --listen
	// port; PureTunnel compares an echo node through ts-unplug with the
	// same echo on loopback.
	Tunnel     []Row
	PureTunnel []Row
	// Floor compares a bare Go reverse proxy with direct calls, each row
	// measured right after the gateway's row of the same label and c.
	Floor      []Row
	TunnelMBs  Throughput
	TunnelPath string // how the echo node reached ts-unplug (direct or DERP)
	// Postgres compares aperture on SQLite with one and two replicas on
	// PostgreSQL (nil when the section did not run).
	Postgres *PostgresRun
	// Skipped lists sections that could not run, with why.
	Skipped []string
	Notes   []string
}

// Check is one issue target and whether this run met it.
type Check struct {
	Name, Target, Measured string
	Floor                  string // the bare Go proxy's figure, when measured
	Known, Pass            bool   // Known is false when the section did not run
}

// find returns the row with label and concurrency.
func find(rows []Row, label string, c int) (Row, bool) {
	for _, r := range rows {
		if r.Label == label && r.Concurrency == c {
			return r, true
		}
	}
	return Row{}, false
}

// The targets for the gateway, relative to the bare proxy
// measured beside it: a proxy that does nothing costs what it costs on
// any machine, so the gateway's features are judged by what they add.
const (
	targetRPS       = 0.9 // gateway req/s at c=50, at least this × the bare proxy's
	targetP50       = 1.5 // overhead p50 at c=10, at most this × the bare proxy's
	targetP99       = 2.0 // overhead p99 at c=10, at most this × the bare proxy's
	targetAllocs    = 1.5 // heap allocations per request, at most this × the bare proxy's
	targetRSSLoad   = 40 << 20
	targetRSSStream = 20 << 20
)

// relative is a check of a gateway figure against the bare proxy's:
// atLeast says the gateway must reach factor × the proxy's, otherwise
// stay within it. Known needs both figures.
func relative(name string, factor float64, atLeast bool, gw, bare float64, gwOK, bareOK bool, unit func(float64) string) Check {
	c := Check{Name: name, Known: gwOK && bareOK}
	if atLeast {
		c.Target = fmt.Sprintf("≥ %.1f× bare proxy", factor)
		c.Pass = c.Known && gw >= factor*bare
	} else {
		c.Target = fmt.Sprintf("≤ %.1f× bare proxy", factor)
		c.Pass = c.Known && gw <= factor*bare
	}
	if gwOK {
		c.Measured = unit(gw)
		if bareOK && bare > 0 {
			c.Measured += fmt.Sprintf(" (%.2f×)", gw/bare)
		}
	}
	if bareOK {
		c.Floor = unit(bare)
	}
	return c
}

// Checks evaluates the targets against the report.
func (r *Report) Checks() []Check {
	var cs []Check
	durCheck := func(name, target string, limit time.Duration, got time.Duration, known bool) {
		cs = append(cs, Check{Name: name, Target: target, Measured: ms(got) + " ms", Known: known, Pass: known && got <= limit})
	}
	apis := []string{"chat", "responses", "messages"}
	pair := func(api string, c int) (gw, bare Result, gwOK, bareOK bool) {
		g, gwOK := find(r.NonStream, api, c)
		b, bareOK := find(r.Floor, api, c)
		return g.Result, b.Result, gwOK, bareOK
	}
	perSecond := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	millis := func(v float64) string { return ms(time.Duration(v)) + " ms" }
	for _, api := range apis {
		g, b, gok, bok := pair(api, 50)
		cs = append(cs, relative("requests/s, "+api+", c=50", targetRPS, true, g.Total.ViaRPS, b.Total.ViaRPS, gok, bok, perSecond))
	}
	for _, api := range apis {
		g, b, gok, bok := pair(api, 10)
		cs = append(cs,
			relative("overhead p50, "+api+", c=10", targetP50, false, float64(g.Total.OverheadP50()), float64(b.Total.OverheadP50()), gok, bok, millis),
			relative("overhead p99, "+api+", c=10", targetP99, false, float64(g.Total.OverheadP99()), float64(b.Total.OverheadP99()), gok, bok, millis))
	}
	for _, api := range apis {
		g, b, gok, bok := pair(api, 10)
		cs = append(cs, relative("allocations per request, "+api+", c=10", targetAllocs, false, g.ViaAllocs, b.ViaAllocs,
			gok && g.ViaAllocs > 0, bok && b.ViaAllocs > 0, allocsPer))
	}
	memKnown := r.Memory.UnderLoad > 0
	cs = append(cs, Check{Name: "RSS under load", Target: "≤ " + mib(targetRSSLoad) + " MiB", Measured: mib(r.Memory.UnderLoad) + " MiB",
		Known: memKnown, Pass: memKnown && r.Memory.UnderLoad <= targetRSSLoad})
	streamKnown := r.Memory.StreamBytes > 0
	cs = append(cs, Check{Name: fmt.Sprintf("RSS growth over a %s MiB stream", mib(r.Memory.StreamBytes)), Target: "≤ " + mib(targetRSSStream) + " MiB",
		Measured: mib(r.Memory.StreamGrowth()) + " MiB", Known: streamKnown, Pass: streamKnown && r.Memory.StreamGrowth() <= targetRSSStream})
	cold := Summarize(append([]time.Duration(nil), r.ColdStart...))
	durCheck("cold start to first served request (median)", "≤ 200 ms", 200*time.Millisecond, cold.P50, cold.N > 0)
	if row, ok := find(r.PureTunnel, "echo", 1); ok {
		durCheck("tunnel overhead p50, warm connection, c=1", "≤ 1.000 ms", time.Millisecond, row.Result.Total.OverheadP50(), true)
	} else {
		durCheck("tunnel overhead p50, warm connection, c=1", "≤ 1.000 ms", time.Millisecond, 0, false)
	}
	tk := r.TunnelMBs.Bytes > 0
	cs = append(cs, Check{Name: "tunnel throughput", Target: "≥ 120 MB/s (median)", Measured: fmt.Sprintf("%.0f MB/s", r.TunnelMBs.ViaMBs),
		Known: tk, Pass: tk && r.TunnelMBs.ViaMBs >= 120})
	return cs
}

// WriteMarkdown renders the report as BENCHMARKS.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	from := func() { p("Command: `%s`.\n\n", r.Command) }
	p("# Benchmarks\n\n")
	p("Written by `%s` (the harness in `internal/bench`); rerun it to refresh this file.\n", r.Command)
	p("Everything runs on this one machine against the fake provider (`internal/fakellm`, its own process,\n")
	p("zero latency), with every gateway feature on: grants, a quota bucket on every request (large enough\n")
	p("never to reject), the SQLite ledger with each row durable before its answer ends (appended to its row log,\n")
	p("one write for the requests finishing together, and committed to SQLite in batches every 10 ms),\n")
	p("and request/response captures.\n")
	p("\"Direct\" is the same request sent straight to the fake; the two are measured in alternating blocks\n")
	p("(direct, gateway, gateway, direct, ...) with warm keep-alive connections, so both see the same machine.\n")
	if len(r.Floor) > 0 {
		p("The non-streaming comparisons take turns with a bare Go reverse proxy on the same CPU in the same rounds\n")
		p("(direct, gateway, bare; gateway, bare, direct; bare, direct, gateway; ...), against the same direct samples.\n")
	}
	p("After each of its non-streaming blocks the gateway is left to finish its work (index rounds, WAL checkpoint,\n")
	p("row log segments) until it has been idle %v (at most %v); every block starts with %d unmeasured requests per worker.\n", quietWindow, quietLimit, primer)
	p("Overhead is via minus direct at the same percentile; ratio is via ÷ direct.\n")
	p("CPU µs/req, allocs/req and syscalls/req are the server's own (the gateway's or the bare proxy's), over its blocks only;\n")
	p("syscalls are the read and write family (/proc/PID/io syscr + syscw: sockets and files, SQLite's WAL writes among them);\n")
	p("rows/commit is how many ledger rows the gateway's SQLite transactions held (the row log's batches), from its /metrics.\n\n")
	mode := "full"
	if r.Quick {
		mode = "quick (-quick: fewer requests, smaller stream; numbers are noisier)"
	}
	if r.Smoke {
		mode = "smoke test (-smoke: a few requests each, only to check that the harness works; the numbers mean nothing)"
	}
	p("- Machine: %s\n- Pinning: %s\n- Date: %s\n- Run: %s, took %s\n- Command: `%s`\n\n", r.Machine, r.Pinning,
		r.Date.UTC().Format("2006-01-02 15:04 UTC"), mode, r.Elapsed.Round(time.Second), r.Command)

	p("## Targets\n\n")
	from()
	p("The gateway's targets are relative to a bare Go reverse proxy (`net/http/httputil`, no features, its own\n")
	p("process, on the gateway's CPU) measured beside it the same way, whose figure is the last column: what any Go\n")
	p("proxy costs here. Measured shows the gateway's figure and, in brackets, its multiple of the bare proxy's.\n\n")
	p("| Target | Goal | Measured | Result | Bare Go proxy |\n|---|---|---|---|---|\n")
	for _, c := range r.Checks() {
		res := "not run"
		if c.Known {
			res = "FAIL"
			if c.Pass {
				res = "pass"
			}
		}
		p("| %s | %s | %s | %s | %s |\n", c.Name, c.Target, c.Measured, res, c.Floor)
	}

	p("\n## Non-streaming latency (ms) and throughput, `aperture --no-tailnet --listen`\n\n")
	from()
	latencyTable(&b, r.NonStream, false)
	p("\n## Floor: a bare Go reverse proxy (`net/http/httputil`, its own process, no features), same requests\n\n")
	from()
	latencyTable(&b, r.Floor, false)
	p("\n## Streaming (ms): time to first byte and to last byte\n\n")
	from()
	latencyTable(&b, r.Stream, true)

	p("\n## Memory (aperture process)\n\n")
	from()
	p("| What | MiB |\n|---|---|\n")
	p("| RSS at idle (after start and one request) | %s |\n", mib(r.Memory.Idle))
	p("| RSS under load (max sampled during the c=50 runs) | %s |\n", mib(r.Memory.UnderLoad))
	for _, at := range []struct {
		when  string
		split MemStatus
	}{{"at idle", r.Memory.IdleSplit}, {"under load", r.Memory.UnderLoadSplit}} {
		if at.split.Anon > 0 || at.split.File > 0 {
			p("| RSS %s: the process's own memory (RssAnon) + pages of the binary and libraries (RssFile) | %s + %s |\n",
				at.when, mib(at.split.Anon), mib(at.split.File))
		}
	}
	p("| Peak RSS of the whole run (VmHWM) | %s |\n", mib(r.Memory.Peak))
	if r.Memory.StreamBytes > 0 {
		p("| RSS before a %s MiB streamed answer | %s |\n", mib(r.Memory.StreamBytes), mib(r.Memory.StreamBefore))
		p("| RSS max during it (growth %s MiB; streamed at %.0f MB/s) | %s |\n", mib(r.Memory.StreamGrowth()),
			mbps(r.Memory.StreamBytes, r.Memory.StreamTime), mib(r.Memory.StreamPeak))
	}

	p("\n## Cold start (`aperture --no-tailnet`, fresh state dir: exec to first 200 chat completion)\n\n")
	from()
	if cs := Summarize(append([]time.Duration(nil), r.ColdStart...)); cs.N > 0 {
		p("%d runs: median %s ms, max %s ms.\n", cs.N, ms(cs.P50), ms(cs.Max))
	} else {
		p("Not measured.\n")
	}

	p("\n## Tunnel: ts-unplug → offline tailnet → aperture, vs aperture's --listen port\n\n")
	from()
	latencyTable(&b, r.Tunnel, false)
	p("\n## Pure tunnel: ts-unplug → tailnet → echo node, vs the same echo on loopback\n\n")
	from()
	latencyTable(&b, r.PureTunnel, false)
	if tp := r.TunnelMBs; tp.Bytes > 0 {
		p("\nLarge body (%s MiB download, median of %d): loopback %.0f MB/s, through the tunnel %.0f MB/s (%.2f×; runs %.0f–%.0f MB/s).\n",
			mib(tp.Bytes), tp.Runs, tp.DirectMBs, tp.ViaMBs, tp.ViaMBs/max(tp.DirectMBs, 1e-9), tp.ViaMinMBs, tp.ViaMaxMBs)
		p("%s During the downloads ts-unplug used %.2f of a CPU (%s ms CPU per MB carried), the harness (client and echo node) %.2f; ts-unplug's RSS peaked at %s MiB.\n",
			r.Pinning.TunnelPlacement(), tp.UnplugBusy, ms(tp.UnplugCPUPerMB), tp.HarnessBusy, mib(tp.UnplugRSS))
		if r.TunnelPath != "" {
			p("WireGuard path between the echo node and ts-unplug: %s.\n", r.TunnelPath)
		}
	}
	p("\n## PostgreSQL: aperture on SQLite, one replica on PostgreSQL, two replicas sharing one database\n\n")
	from()
	writePostgres(&b, r.Postgres)
	if len(r.Skipped) > 0 {
		p("\n## Not measured in this run\n\n")
		for _, s := range r.Skipped {
			p("- %s\n", s)
		}
	}
	p("\n## Notes\n\n")
	for _, n := range r.Notes {
		p("- %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// latencyTable renders rows; stream tables show first-byte columns too.
func latencyTable(b *strings.Builder, rows []Row, stream bool) {
	if len(rows) == 0 {
		b.WriteString("Not measured.\n")
		return
	}
	if stream {
		b.WriteString("| API | c | TTFB direct p50 | TTFB gw p50 | TTFB Δ p50 | TTFB Δ p99 | TTLB direct p50 | TTLB gw p50 | TTLB Δ p50 | TTLB Δ p99 | TTLB ratio p50 | n |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range rows {
			f, t := r.Result.First, r.Result.Total
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %.2f× | %d%s |\n", r.Label, r.Concurrency,
				ms(f.Direct.P50), ms(f.Via.P50), ms(f.OverheadP50()), ms(f.OverheadP99()),
				ms(t.Direct.P50), ms(t.Via.P50), ms(t.OverheadP50()), ms(t.OverheadP99()), t.RatioP50(), t.Via.N, errNote(t))
		}
		return
	}
	b.WriteString("| Upstream | c | direct p50 | via p50 | Δ p50 | ratio p50 | direct p99 | via p99 | Δ p99 | ratio p99 | direct req/s | via req/s | req/s ratio | via CPU µs/req | via allocs/req | via syscalls/req | rows/commit | n |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		t := r.Result.Total
		cpu, allocs, sys, rows := "", "", "", ""
		if r.Result.RowsPerCommit > 0 {
			rows = fmt.Sprintf("%.1f", r.Result.RowsPerCommit)
		}
		if r.Result.ViaSyscalls > 0 {
			sys = fmt.Sprintf("%.1f", r.Result.ViaSyscalls)
		}
		if r.Result.ViaCPU > 0 {
			cpu = cpuMicros(r.Result.ViaCPU)
		}
		if r.Result.ViaAllocs > 0 {
			allocs = allocsPer(r.Result.ViaAllocs)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %.2f× | %s | %s | %s | %.2f× | %.0f | %.0f | %.2f | %s | %s | %s | %s | %d%s |\n", r.Label, r.Concurrency,
			ms(t.Direct.P50), ms(t.Via.P50), ms(t.OverheadP50()), t.RatioP50(),
			ms(t.Direct.P99), ms(t.Via.P99), ms(t.OverheadP99()), t.RatioP99(),
			t.DirectRPS, t.ViaRPS, t.RatioRPS(), cpu, allocs, sys, rows, t.Via.N, errNote(t))
	}
}

// cpuMicros formats a CPU time per request in whole microseconds.
func cpuMicros(d time.Duration) string {
	return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond))
}

// allocsPer formats heap allocations per request.
func allocsPer(v float64) string { return fmt.Sprintf("%.0f", v) }

func errNote(c Comparison) string {
	if c.Errors == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d errors)", c.Errors)
}

// writePostgres renders the PostgreSQL section.
func writePostgres(b *strings.Builder, run *PostgresRun) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if run == nil {
		p("Not measured (see below).\n")
		return
	}
	p("The same config (quota bucket on every request, captures, the ledger) and the same loads, one setup after\n")
	p("the other, each interleaved with direct calls to the fake: aperture on its SQLite file; one aperture with\n")
	p("`--database postgres://…` (the ledger, the quota bucket's holds and settlements, config sync and heartbeats\n")
	p("in PostgreSQL: every request's quota hold and settlement are transactions there); two apertures on one\n")
	p("database, the load generator sending each request to the next replica in turn over warm connections to both.\n")
	p("The providers' keys are env: references in all three (a shared config may not hold them literally).\n\n")
	p("- Server: %s (a fresh database per setup, started by `internal/pgtest`).\n", run.Server)
	p("- Placement: %s.\n", run.Placement)
	if run.Pinned {
		p("- The two replicas share one CPU: their figure is the cost of sharing the database and the CPU, not scale-out.\n")
		p("  PostgreSQL shares the load generator's CPU, so its work slows the client too.\n")
	}
	p("\n")
	p("| API | Setup | req/s c=50 | Δ p50 c=10 (ms) | Δ p99 c=10 (ms) |\n|---|---|---|---|---|\n")
	for _, api := range pgAPIs {
		for _, s := range pgSummary(run.Rows, api.Name, pgSetups) {
			rps, p50, p99 := "", "", ""
			if s.Has50 {
				rps = fmt.Sprintf("%.0f", s.RPS50)
			}
			if s.Has10 {
				p50, p99 = ms(s.P50c10), ms(s.P99c10)
			}
			p("| %s | %s | %s | %s | %s |\n", api.Name, s.Setup, rps, p50, p99)
		}
	}
	if len(run.Setups) > 0 {
		p("\nRequests the load generator sent through each setup (warm-up included; the start-up check adds one per\n")
		p("replica) and what the database holds for them afterwards: one quota charge per settled hold, by the\n")
		p("replica that settled it, the ledger's rows, and the transactions PostgreSQL counted as committed in the\n")
		p("setup's database (start-up, heartbeats and these counts' own queries included) per request sent.\n\n")
		p("| Setup | sent, per replica | quota charges, per replica | ledger rows | commits | commits/request |\n|---|---|---|---|---|---|\n")
		for _, st := range run.Setups {
			charges, rows, commits, per := "(SQLite)", "(SQLite)", "", ""
			if st.Charges != nil {
				charges, rows = joinCounts(st.Charges), fmt.Sprint(st.LedgerRows)
				commits, per = fmt.Sprint(st.Commits), fmt.Sprintf("%.1f", st.CommitsPerRequest())
			}
			p("| %s | %s | %s | %s | %s | %s |\n", st.Name, joinCounts(st.Sent), charges, rows, commits, per)
		}
	}
	p("\nAll rows:\n\n")
	latencyTable(b, run.Rows, false)
}

// joinCounts is "1200 + 1199 = 2399", or "1200" for one count.
func joinCounts(n []int64) string {
	if len(n) == 1 {
		return fmt.Sprint(n[0])
	}
	parts := make([]string, len(n))
	var sum int64
	for i, v := range n {
		parts[i] = fmt.Sprint(v)
		sum += v
	}
	return strings.Join(parts, " + ") + " = " + fmt.Sprint(sum)
}
