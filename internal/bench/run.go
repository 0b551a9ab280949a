package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
)

// options are the harness's flags.
type options struct {
	quick, smoke, tunnel, micro, floor, pin, postgres bool
	out, command, profile, allocProfile, trace        string
	only                                              string // "tunnel" or "postgres": that section alone
}

// check refuses flags that would do nothing: an -only section that does
// not exist, and a profile of the --listen sections (-profile,
// -allocprofile, -trace) with -only a section that runs none of them
// (-profile covers the tunnel's ts-unplug too).
func (o options) check() error {
	switch o.only {
	case "", "latency":
		return nil
	case "tunnel", "postgres":
	default:
		return fmt.Errorf("-only %q: the sections that run alone are \"tunnel\", \"postgres\" and \"latency\"", o.only)
	}
	for _, f := range []struct {
		name, path string
		ok         bool
	}{
		{"-profile", o.profile, o.only == "tunnel"},
		{"-allocprofile", o.allocProfile, false},
		{"-trace", o.trace, false},
	} {
		if f.path != "" && !f.ok {
			return fmt.Errorf("%s profiles the gateway's --listen sections, which -only %s does not run; use it with -only latency or a full run", f.name, o.only)
		}
	}
	return nil
}

// sizes say how much work each section does; -quick and -smoke shrink
// them.
type sizes struct {
	perBlock       map[int]int // requests per block, by concurrency
	rounds, warmup int
	streamPerBlock int
	bigStream      int64
	coldRuns       int
	tunnelBytes    int64
	benchtime      string
}

func sizesFor(quick, smoke bool) sizes {
	if smoke {
		return sizes{perBlock: map[int]int{1: 20, 10: 50, 50: 100}, rounds: 2, warmup: 10, streamPerBlock: 10,
			bigStream: 16 << 20, coldRuns: 1, tunnelBytes: 8 << 20, benchtime: "1x"}
	}
	if quick {
		return sizes{perBlock: map[int]int{1: 200, 10: 500, 50: 1000}, rounds: 2, warmup: 50, streamPerBlock: 100,
			bigStream: 256 << 20, coldRuns: 3, tunnelBytes: 64 << 20, benchtime: "50ms"}
	}
	return sizes{perBlock: map[int]int{1: 500, 10: 2000, 50: 4000}, rounds: 4, warmup: 200, streamPerBlock: 300,
		bigStream: 1 << 30, coldRuns: 5, tunnelBytes: 256 << 20, benchtime: "200ms"}
}

// say prints progress.
func say(format string, args ...any) {
	fmt.Printf("bench: "+format+"\n", args...)
}

// run is the whole harness run.
func run(ctx context.Context, o options) error {
	began := time.Now()
	sz := sizesFor(o.quick, o.smoke)
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := tempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	say("building aperture and ts-unplug")
	apBin, err := buildBinary(root, dir, "aperture")
	if err != nil {
		return err
	}
	unplugBin, err := buildBinary(root, dir, "ts-unplug")
	if err != nil {
		return err
	}
	rep := &Report{Machine: DescribeMachine(), Date: time.Now(), Command: o.command, Quick: o.quick, Smoke: o.smoke}
	say("machine: %s", rep.Machine)
	rep.Pinning = setUpPinning(o.pin)
	say("pinning: %s", rep.Pinning)

	fake, fakeURL, err := startFake(ctx, rep.Pinning.Load, 0, 16)
	if err != nil {
		return err
	}
	defer fake.Stop()
	big, bigURL, err := startFake(ctx, rep.Pinning.Load, sz.bigStream, 0)
	if err != nil {
		return err
	}
	defer big.Stop()
	say("fake provider at %s (huge answers at %s)", fakeURL, bigURL)

	if o.only == "" {
		if err := measureColdStart(ctx, rep, sz, apBin, dir, fakeURL, bigURL); err != nil {
			return err
		}
	}
	if o.only == "" || o.only == "latency" {
		if err := measureGateway(ctx, rep, sz, apBin, dir, fakeURL, bigURL, gatewayProfiles{o.profile, o.allocProfile, o.trace}, o.floor, o.only == "latency"); err != nil {
			return err
		}
	}
	if (o.postgres && o.only == "") || o.only == "postgres" {
		if err := measurePostgres(ctx, rep, sz, apBin, dir, fakeURL, bigURL); err != nil {
			say("postgres: %v", err)
			rep.Skipped = append(rep.Skipped, "PostgreSQL: "+err.Error())
		}
	} else if !o.postgres && o.only == "" {
		rep.Skipped = append(rep.Skipped, "PostgreSQL: turned off (-postgres=false)")
	}
	if (o.tunnel && o.only == "") || o.only == "tunnel" {
		if err := measureTunnel(ctx, rep, sz, apBin, unplugBin, dir, fakeURL, bigURL, o.profile); err != nil {
			say("tunnel: %v", err)
			rep.Skipped = append(rep.Skipped, "tunnel: "+err.Error())
		}
	}
	var micro, microCommand string
	if o.micro && o.only == "" {
		micro, microCommand = runMicro(ctx, rep.Pinning.All, root, sz.benchtime)
	}
	rep.Elapsed = time.Since(began)
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := writeReport(out, rep, micro, microCommand); err != nil {
		return err
	}
	say("wrote %s in %s", out, rep.Elapsed.Round(time.Second))
	for _, c := range rep.Checks() {
		res := "not run"
		if c.Known {
			res = map[bool]string{true: "pass", false: "FAIL"}[c.Pass]
		}
		say("  %-4s %s: %s (goal %s)", res, c.Name, c.Measured, c.Target)
	}
	return nil
}

// setUpPinning moves the harness onto the load generator's CPUs and says
// where each process is to run; without pin, or where the CPUs cannot be
// divided, nothing is pinned and the report says why.
func setUpPinning(pin bool) Pinning {
	if !pin {
		return Pinning{Why: "pinning turned off (-pin=false)"}
	}
	p := planPinning(allowedCPUs())
	if p.Pinned() {
		if err := pinSelf(p.Load); err != nil {
			pinSelf(p.All) // undo what was done, as far as it goes
			return Pinning{All: p.All, Why: err.Error()}
		}
	}
	return p
}

// measureColdStart times exec-to-first-answer of fresh gateways.
func measureColdStart(ctx context.Context, rep *Report, sz sizes, apBin, dir, fakeURL, bigURL string) error {
	for i := range sz.coldRuns {
		ap, d, err := startAperture(ctx, rep.Pinning.Server, apBin, dir, fmt.Sprintf("cold-%d", i), fakeURL, bigURL, nil, nil)
		if err != nil {
			return fmt.Errorf("cold start: %w", err)
		}
		ap.Stop()
		rep.ColdStart = append(rep.ColdStart, d)
		say("cold start %d: %s ms", i+1, ms(d))
	}
	return nil
}

// gatewayProfiles are the files the gateway's profiles of the --listen
// sections go to ("": none): -profile, -allocprofile, -trace.
type gatewayProfiles struct{ cpu, allocs, trace string }

// measureGateway runs the --listen sections: memory, the big stream,
// non-streaming and streaming latency. With withFloor, each non-streaming
// comparison has the bare proxy's blocks in the same rounds. prof's paths
// get the gateway's profiles of the whole section. latencyOnly runs the
// non-streaming comparisons at c=10 alone (-only latency: the latency
// targets, and a profile of nothing else).
func measureGateway(ctx context.Context, rep *Report, sz sizes, apBin, dir, fakeURL, bigURL string, prof gatewayProfiles, withFloor, latencyOnly bool) error {
	say("starting aperture --no-tailnet")
	var env []string
	for _, p := range []struct{ path, env, what, read string }{
		{prof.cpu, tunnel.CPUProfileEnv, "CPU profile", "go tool pprof -top"},
		{prof.allocs, tunnel.AllocProfileEnv, "allocation profile", "go tool pprof -sample_index=alloc_objects -top"},
		{prof.trace, tunnel.TraceEnv, "execution trace", "go run ./internal/bench -waits"},
	} {
		if p.path == "" {
			continue
		}
		abs, err := filepath.Abs(p.path)
		if err != nil {
			return err
		}
		if env == nil {
			env = os.Environ()
		}
		env = append(env, p.env+"="+abs)
		defer say("gateway %s in %s (%s %s)", p.what, abs, p.read, abs)
	}
	ap, _, err := startAperture(ctx, rep.Pinning.Server, apBin, dir, "aperture", fakeURL, bigURL, env, nil)
	if err != nil {
		return err
	}
	defer ap.Stop()
	meter, err := NewMeter(ctx, ap.Pid(), ap.MetricsURL())
	if err != nil {
		return fmt.Errorf("gateway counters: %w", err)
	}
	direct, gw := NewTarget("direct", fakeURL), NewTarget("gateway", ap.URL)
	defer direct.Close()
	defer gw.Close()
	var bare *bareProxy
	if withFloor {
		if bare, err = startBareProxy(ctx, rep.Pinning.Server, fakeURL); err != nil {
			say("floor: %v", err)
			rep.Skipped = append(rep.Skipped, "bare proxy: "+err.Error())
		}
	}
	defer func() {
		if bare != nil {
			bare.Close()
		}
	}()
	// nonStream runs one non-streaming comparison: direct, the gateway
	// and the bare proxy in the same rounds (CompareAll), so the two
	// servers are measured against the same direct samples under the
	// same machine conditions. The gateway goes quiet after each block
	// (its index rounds and checkpoint, metered as its own) before the
	// next server's block on its CPU. A failure of the bare proxy ends
	// the floor's part of the run, not the gateway's.
	gwVia := Via{Target: gw, Meter: meter, Quiet: processQuiet(ap.Pid())}
	nonStream := func(label string, l Load) error {
		vias := []Via{gwVia}
		if bare != nil {
			vias = append(vias, bare.via())
		}
		res, err := CompareAll(ctx, direct, vias, l)
		if se := (*SideError)(nil); errors.As(err, &se) && bare != nil && se.Side == bare.target.Name {
			say("floor: %v; the rest of the run goes without the bare proxy", err)
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("bare proxy (from %s c=%d on): %v", label, l.Concurrency, err))
			bare.Close()
			bare = nil
			res, err = CompareAll(ctx, direct, vias[:1], l)
		}
		if err != nil {
			return fmt.Errorf("%s c=%d: %w", label, l.Concurrency, err)
		}
		if n := res[0].QuietTimeouts; n > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("The gateway's quiet wait, %s c=%d: %d of its waits gave up after %v (its background work may have run in the next block)",
				label, l.Concurrency, n, quietLimit))
		}
		rep.NonStream = append(rep.NonStream, Row{Label: label, Concurrency: l.Concurrency, Result: res[0]})
		logRow("non-streaming", label, l.Concurrency, res[0])
		if len(res) > 1 {
			rep.Floor = append(rep.Floor, Row{Label: label, Concurrency: l.Concurrency, Result: res[1]})
			logRow("bare proxy", label, l.Concurrency, res[1])
		}
		return nil
	}
	time.Sleep(time.Second)
	if m, err := ReadMem(ap.Pid()); err == nil {
		rep.Memory.Idle, rep.Memory.IdleSplit = m.RSS, m
		say("idle RSS %s MiB", mib(m.RSS))
	}

	concurrencies := []int{1, 10, 50}
	if latencyOnly {
		concurrencies = []int{10}
	} else if err := measureBigStream(ctx, rep, ap, sz.bigStream); err != nil {
		rep.Skipped = append(rep.Skipped, "big stream: "+err.Error())
		say("big stream: %v", err)
	}

	for _, api := range apiCases {
		for _, c := range concurrencies {
			var s *Sampler
			if c == 50 {
				s = StartSampler(ap.Pid(), 20*time.Millisecond)
			}
			err := nonStream(api.Name, Load{Spec: api.Spec(false, 0), Concurrency: c, PerBlock: sz.perBlock[c], Rounds: sz.rounds, Warmup: sz.warmup})
			if s != nil {
				s.Stop()
				rep.Memory.noteUnderLoad(s.Peak())
			}
			if err != nil {
				return err
			}
		}
	}
	if latencyOnly {
		return nil
	}
	// An agent's request carries a long context: the gateway must find
	// the model without decoding it all.
	const padding = 100 << 10
	const padded = "chat, 100 KiB body"
	if err := nonStream(padded, Load{Spec: chatSpec(false, padding), Concurrency: 10, PerBlock: sz.perBlock[10] / 2, Rounds: sz.rounds, Warmup: sz.warmup}); err != nil {
		return err
	}
	if bare != nil {
		bare.Close()
		bare = nil
	}

	for _, api := range apiCases {
		for _, c := range []int{1, 10} {
			res, err := Compare(ctx, direct, gw, Load{Spec: api.Spec(true, 0), Concurrency: c,
				PerBlock: sz.streamPerBlock * c / min(c, 5), Rounds: sz.rounds, Warmup: sz.warmup})
			if err != nil {
				return fmt.Errorf("%s stream c=%d: %w", api.Name, c, err)
			}
			rep.Stream = append(rep.Stream, Row{Label: api.Name, Concurrency: c, Result: res})
			say("streaming %-10s c=%-2d TTFB Δp50 %s ms  TTLB Δp50 %s ms", api.Name, c,
				ms(res.First.OverheadP50()), ms(res.Total.OverheadP50()))
		}
	}
	if m, err := ReadMem(ap.Pid()); err == nil {
		rep.Memory.Peak = m.HWM
	}
	return nil
}

func logRow(what, label string, c int, res Result) {
	t := res.Total
	cost := ""
	if res.ViaCPU > 0 {
		cost = fmt.Sprintf(" | %s CPU µs/req, %s allocs/req, %.1f syscalls/req, %.1f rows/commit", cpuMicros(res.ViaCPU), allocsPer(res.ViaAllocs), res.ViaSyscalls, res.RowsPerCommit)
	}
	say("%s %-10s c=%-2d direct p50 %s p99 %s | via p50 %s p99 %s | Δp50 %s ms | %.0f vs %.0f req/s%s%s",
		what, label, c, ms(t.Direct.P50), ms(t.Direct.P99), ms(t.Via.P50), ms(t.Via.P99), ms(t.OverheadP50()),
		t.DirectRPS, t.ViaRPS, cost, errNote(t))
	if res.FirstError != nil {
		say("  first error: %v", res.FirstError)
	}
}

// measureBigStream streams one huge answer through the gateway and
// watches its RSS.
func measureBigStream(ctx context.Context, rep *Report, ap *Aperture, size int64) error {
	say("streaming a %s MiB answer through the gateway", mib(size))
	t := NewTarget("gateway", ap.URL)
	defer t.Close()
	before, err := ReadMem(ap.Pid())
	if err != nil {
		return err
	}
	s := StartSampler(ap.Pid(), 20*time.Millisecond)
	tm, err := t.Do(ctx, bigStreamSpec())
	peak := s.Stop()
	if err != nil {
		return err
	}
	if tm.Bytes < size {
		return fmt.Errorf("only %d bytes arrived, want more than %d", tm.Bytes, size)
	}
	rep.Memory.StreamBytes, rep.Memory.StreamBefore, rep.Memory.StreamPeak, rep.Memory.StreamTime = size, before.RSS, peak, tm.Total
	say("big stream: %s MiB of SSE in %s (%.0f MB/s); RSS %s → max %s MiB", mib(tm.Bytes), tm.Total.Round(time.Millisecond),
		mbps(tm.Bytes, tm.Total), mib(before.RSS), mib(peak))
	return nil
}

// measureTunnel runs the tailnet sections.
func measureTunnel(ctx context.Context, rep *Report, sz sizes, apBin, unplugBin, dir, fakeURL, bigURL, profile string) error {
	say("starting the offline tailnet and the echo node")
	// The in-process echo node must not try to upload logs (which, with
	// no DNS, falls back to dialing Tailscale's real DERP servers); the
	// child processes get the same from ChildEnv.
	os.Setenv("TS_NO_LOGS_NO_SUPPORT", "true")
	tn, err := startTailnet(ctx, dir, unplugBin)
	if err != nil {
		return err
	}
	defer tn.Close()
	if profile != "" {
		abs, err := filepath.Abs(profile)
		if err != nil {
			return err
		}
		tn.profile = abs
		defer say("ts-unplug CPU profiles in %s.*.pprof", abs)
	}
	say("starting aperture on the tailnet as \"ai\" (with --listen too)")
	tn.cpus = rep.Pinning.Server
	ap, _, err := startAperture(ctx, rep.Pinning.Server, apBin, dir, "aperture-tailnet", fakeURL, bigURL, tn.Env(), tn.ApertureArgs())
	if err != nil {
		return err
	}
	defer ap.Stop()
	say("starting ts-unplug → ai")
	laptop, aiURL, err := tn.startUnplug(ctx, "bench-laptop", "ai", chatSpec(false, 0))
	if err != nil {
		return err
	}
	listen, viaUnplug := NewTarget("--listen", ap.URL), NewTarget("ts-unplug", aiURL)
	defer listen.Close()
	defer viaUnplug.Close()
	for _, c := range []int{1, 10} {
		res, err := Compare(ctx, listen, viaUnplug, Load{Spec: chatSpec(false, 0), Concurrency: c,
			PerBlock: sz.perBlock[c] / 2, Rounds: sz.rounds, Warmup: sz.warmup})
		if err != nil {
			return fmt.Errorf("gateway through ts-unplug c=%d: %w", c, err)
		}
		rep.Tunnel = append(rep.Tunnel, Row{Label: "gateway chat", Concurrency: c, Result: res})
		logRow("tunnel", "gateway", c, res)
	}
	// From here ts-unplug → echo has the server's CPUs to itself.
	ap.Stop()
	laptop.Stop()

	say("starting ts-unplug → echo")
	echoSpec := RequestSpec{Method: "GET", Path: "/echo"}
	unplug, echoURL, err := tn.startUnplug(ctx, "bench-echo", "echo", echoSpec)
	if err != nil {
		return err
	}
	loop, viaEcho := NewTarget("loopback echo", tn.EchoLocal), NewTarget("ts-unplug echo", echoURL)
	defer loop.Close()
	defer viaEcho.Close()
	for _, c := range []int{1, 10, 50} {
		res, err := Compare(ctx, loop, viaEcho, Load{Spec: echoSpec, Concurrency: c,
			PerBlock: sz.perBlock[c] / 2, Rounds: sz.rounds, Warmup: sz.warmup})
		if err != nil {
			return fmt.Errorf("echo through ts-unplug c=%d: %w", c, err)
		}
		rep.PureTunnel = append(rep.PureTunnel, Row{Label: "echo", Concurrency: c, Result: res})
		logRow("pure tunnel", "echo", c, res)
	}
	tp, err := measureThroughput(ctx, loop, viaEcho, sz.tunnelBytes, unplug.Pid())
	if err != nil {
		return fmt.Errorf("tunnel throughput: %w", err)
	}
	rep.TunnelMBs = tp
	rep.TunnelPath = tn.PathTo(ctx, "bench-echo")
	say("tunnel path: %s", rep.TunnelPath)
	say("tunnel throughput, median of %d: loopback %.0f MB/s, ts-unplug %.0f MB/s (%.0f-%.0f); CPU busy: ts-unplug %.2f, harness with the echo node %.2f; ts-unplug %s ms CPU/MB, max RSS %s MiB",
		tp.Runs, tp.DirectMBs, tp.ViaMBs, tp.ViaMinMBs, tp.ViaMaxMBs, tp.UnplugBusy, tp.HarnessBusy, ms(tp.UnplugCPUPerMB), mib(tp.UnplugRSS))
	return nil
}
