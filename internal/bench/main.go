// Command bench is the reproducible benchmark harness behind `make bench`.
// In one run it builds the real aperture and ts-unplug binaries, runs the
// fake provider in its own process, and measures the gateway (its local
// --listen port, and through ts-unplug over the offline tailnet) side by
// side with direct calls to the same fake, interleaved: latency overhead,
// throughput, streaming first/last byte, memory, cold start and the
// tunnel. It then runs the Go micro-benchmarks of the request path's hot
// functions and writes everything to BENCHMARKS.md.
//
// On Linux with two or more CPUs the server under test (the gateway, the
// bare proxy, ts-unplug) runs on a CPU of its own and the harness and the
// fake provider on the others, so that the gateway's CPU cost shows in
// its own throughput instead of hiding in the load generator's; with one
// CPU (or -pin=false) nothing is pinned and the report says so.
//
//	go run ./internal/bench            # full run, a few minutes
//	go run ./internal/bench -quick     # smaller run
//	go run ./internal/bench -smoke -out /tmp/b.md  # tiny: does the harness work?
//	go run ./internal/bench -only postgres  # SQLite vs PostgreSQL, one and two replicas
//	go run ./internal/bench -only latency -out /tmp/b.md  # non-streaming c=10 beside the bare proxy
//	go run ./internal/bench -only latency -out /tmp/b.md -trace /tmp/gw.trace
//	go run ./internal/bench -waits /tmp/gw.trace  # what the slowest requests waited behind
//
// The -serve-fake and -serve-proxy modes are internal: the harness starts
// itself that way to host the fake provider and the bare reverse proxy.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "a smaller, faster run (noisier numbers)")
	flag.BoolVar(&o.smoke, "smoke", false, "the smallest run, to check that the harness works end to end (its numbers mean nothing)")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "where to write the report (relative to the module root)")
	flag.BoolVar(&o.tunnel, "tunnel", true, "measure the tunnel (offline tailnet, ts-unplug)")
	flag.BoolVar(&o.micro, "micro", true, "run the Go micro-benchmarks and include them in the report")
	flag.StringVar(&o.command, "command", "", "the command line to print in the report (default: how this run was started)")
	flag.StringVar(&o.profile, "profile", "", "write the gateway's CPU profile of the --listen sections to this file")
	flag.StringVar(&o.allocProfile, "allocprofile", "", "write the gateway's allocation profile of the --listen sections to this file (every allocation recorded: the figures of that run are slower)")
	flag.StringVar(&o.trace, "trace", "", "write the gateway's execution trace (runtime/trace) of the --listen sections to this file, for -waits; best with -only latency (megabytes a minute; tracing slows the gateway and its own work shows in the trace, so that run's figures are not comparable)")
	waits := flag.String("waits", "", "read an execution trace (-trace) and say what the slowest waits of the gateway's requests to run waited behind, then exit")
	flag.BoolVar(&o.floor, "floor", true, "measure a bare Go reverse proxy too, the floor of any gateway's overhead here")
	flag.StringVar(&o.only, "only", "", "run only this section: \"tunnel\" (the offline tailnet and ts-unplug), \"postgres\" (SQLite vs one and two replicas on PostgreSQL) or \"latency\" (the non-streaming comparisons at c=10, beside the bare proxy: the latency targets); no micro-benchmarks")
	flag.BoolVar(&o.postgres, "postgres", true, "compare aperture on SQLite with one and two replicas on PostgreSQL (skipped, saying why, where PostgreSQL is not installed)")
	flag.BoolVar(&o.pin, "pin", true, "pin the server under test to one CPU and the load generator and fake to the others (Linux, 2+ CPUs)")
	serve := flag.Bool("serve-fake", false, "internal: serve the fake provider and print its URL")
	proxyTo := flag.String("serve-proxy", "", "internal: serve a bare reverse proxy to this URL and print its URL")
	bodySize := flag.Int64("fake-body-size", 0, "internal: with -serve-fake, the generated answer size in bytes")
	chunks := flag.Int("fake-chunks", 0, "internal: with -serve-fake, the deltas a streamed answer is split into")
	flag.Parse()
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if *waits != "" {
		if err := printWaits(*waits, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *proxyTo != "" {
		if err := serveProxy(*proxyTo); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *serve {
		if err := serveFake(*bodySize, *chunks); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if o.command == "" {
		o.command = "go run ./internal/bench"
		if len(os.Args) > 1 {
			o.command += " " + strings.Join(os.Args[1:], " ")
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
