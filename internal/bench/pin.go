package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Pinning says which CPUs each side of a measurement runs on. On a
// shared set of CPUs the load generator's work hides the gateway's: a
// gateway that costs more CPU per request slows the client that measures
// it as much as itself. With the server under test alone on one core,
// its throughput and latency are its own, and the load generator and the
// fake provider on the other cores cannot take its time.
type Pinning struct {
	// Server runs the server under test: the gateway, the bare proxy,
	// ts-unplug. Empty when nothing is pinned.
	Server []int
	// Load runs the harness (the load generator and the in-process echo
	// node) and the fake provider.
	Load []int
	// All are the CPUs the harness was allowed at start; the builds and
	// the micro-benchmarks use them all.
	All []int
	// Why nothing is pinned, when Server is empty.
	Why string
}

// Pinned reports whether the server under test has CPUs of its own.
func (p Pinning) Pinned() bool { return len(p.Server) > 0 }

// planPinning divides the allowed CPUs: the last one for the server under
// test, the others for the load generator and the fake. With fewer than
// two there is nothing to divide and every process shares what there is.
func planPinning(allowed []int, err error) Pinning {
	p := Pinning{All: allowed}
	switch {
	case err != nil:
		p.Why = "CPU affinity is not available here (" + err.Error() + ")"
	case len(allowed) < 2:
		p.Why = fmt.Sprintf("only one CPU (%s) is available to the harness", cpuList(allowed))
	default:
		p.Server = allowed[len(allowed)-1:]
		p.Load = allowed[:len(allowed)-1]
	}
	return p
}

// String says how the processes were placed, for the console and the
// report's header.
func (p Pinning) String() string {
	if !p.Pinned() {
		return "not pinned, every process shares the CPUs: " + p.Why
	}
	return fmt.Sprintf("the server under test (aperture, the bare proxy, ts-unplug) on %s; "+
		"the load generator (this harness, with the tunnel's echo node) and the fake provider on %s",
		cpuNoun(p.Server), cpuNoun(p.Load))
}

// TunnelPlacement says where the tunnel's throughput was measured: the
// ts-unplug under test alone (aperture and the other ts-unplug are
// stopped by then), the far end of the tunnel in the harness.
func (p Pinning) TunnelPlacement() string {
	if !p.Pinned() {
		return "ts-unplug and the harness shared the CPUs."
	}
	return fmt.Sprintf("ts-unplug alone on %s; the harness (the client, and the echo node at the far end of the tunnel, with control and DERP) on %s.",
		cpuNoun(p.Server), cpuNoun(p.Load))
}

// cpuNoun is "CPU 1" or "CPUs 0,2".
func cpuNoun(cpus []int) string {
	if len(cpus) == 1 {
		return "CPU " + cpuList(cpus)
	}
	return "CPUs " + cpuList(cpus)
}

// cpuList is a comma-separated list of CPU numbers.
func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// parseCPUList parses a kernel CPU list such as "0-2,5" (the format of
// Cpus_allowed_list in /proc/PID/status).
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("CPU list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("CPU list %q: bad range %q", s, part)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// cpusAllowedIn is the Cpus_allowed_list of a /proc/PID/status text.
func cpusAllowedIn(status string) ([]int, error) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return parseCPUList(v)
		}
	}
	return nil, fmt.Errorf("no Cpus_allowed_list in the process status")
}
