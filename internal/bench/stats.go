package main

import (
	"fmt"
	"slices"
	"time"
)

// Summary describes a set of latency samples.
type Summary struct {
	N        int
	P50, P99 time.Duration
	Mean     time.Duration
	Max      time.Duration
}

// Summarize computes the percentiles of samples (which it sorts in place).
// Percentiles use the nearest-rank method, so p99 of 100 samples is the
// 99th smallest, never an interpolated value nobody observed.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return Summary{
		N:    len(samples),
		P50:  percentile(samples, 50),
		P99:  percentile(samples, 99),
		Mean: sum / time.Duration(len(samples)),
		Max:  samples[len(samples)-1],
	}
}

// percentile returns the nearest-rank p-th percentile of sorted samples.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Comparison is one measurement taken through the gateway (or tunnel) and
// directly against the same upstream, interleaved.
type Comparison struct {
	Direct, Via Summary
	// DirectRPS and ViaRPS are completed requests per second while each
	// side ran on its own.
	DirectRPS, ViaRPS float64
	Errors            int
}

// OverheadP50 is what the gateway adds at the median.
func (c Comparison) OverheadP50() time.Duration { return c.Via.P50 - c.Direct.P50 }

// OverheadP99 is what the gateway adds at the 99th percentile.
func (c Comparison) OverheadP99() time.Duration { return c.Via.P99 - c.Direct.P99 }

// RatioP50 is the gateway's median latency as a multiple of direct's.
func (c Comparison) RatioP50() float64 { return ratio(c.Via.P50, c.Direct.P50) }

// RatioP99 is the gateway's p99 latency as a multiple of direct's.
func (c Comparison) RatioP99() float64 { return ratio(c.Via.P99, c.Direct.P99) }

// RatioRPS is the gateway's throughput as a fraction of direct's.
func (c Comparison) RatioRPS() float64 {
	if c.DirectRPS == 0 {
		return 0
	}
	return c.ViaRPS / c.DirectRPS
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ms formats d in milliseconds with three decimals, the unit every table
// uses so columns compare at a glance.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// mib formats a byte count in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
