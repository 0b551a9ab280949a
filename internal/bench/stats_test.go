package main

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	seq := func(n int) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(n-i) * time.Millisecond // reversed: Summarize must sort
		}
		return s
	}
	tests := []struct {
		name     string
		in       []time.Duration
		p50, p99 time.Duration
		mean     time.Duration
		max      time.Duration
	}{
		{"empty", nil, 0, 0, 0, 0},
		{"one", []time.Duration{7}, 7, 7, 7, 7},
		{"hundred", seq(100), 50 * time.Millisecond, 99 * time.Millisecond, 50500 * time.Microsecond, 100 * time.Millisecond},
		{"thousand", seq(1000), 500 * time.Millisecond, 990 * time.Millisecond, 500500 * time.Microsecond, time.Second},
		{"outlier", []time.Duration{1, 1, 1, 1000}, 1, 1000, 250, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize(tt.in)
			if s.P50 != tt.p50 || s.P99 != tt.p99 || s.Mean != tt.mean || s.Max != tt.max || s.N != len(tt.in) {
				t.Errorf("Summarize = %+v, want p50 %v p99 %v mean %v max %v", s, tt.p50, tt.p99, tt.mean, tt.max)
			}
		})
	}
}

func TestComparison(t *testing.T) {
	c := Comparison{
		Direct:    Summary{P50: 100 * time.Microsecond, P99: time.Millisecond},
		Via:       Summary{P50: 250 * time.Microsecond, P99: 3 * time.Millisecond},
		DirectRPS: 10000, ViaRPS: 6000,
	}
	if got := c.OverheadP50(); got != 150*time.Microsecond {
		t.Errorf("OverheadP50 = %v", got)
	}
	if got := c.OverheadP99(); got != 2*time.Millisecond {
		t.Errorf("OverheadP99 = %v", got)
	}
	if got := c.RatioP50(); got != 2.5 {
		t.Errorf("RatioP50 = %v", got)
	}
	if got := c.RatioP99(); got != 3 {
		t.Errorf("RatioP99 = %v", got)
	}
	if got := c.RatioRPS(); got != 0.6 {
		t.Errorf("RatioRPS = %v", got)
	}
	if got := (Comparison{}).RatioP50(); got != 0 {
		t.Errorf("ratio with no direct samples = %v, want 0", got)
	}
}

func TestFormat(t *testing.T) {
	if got := ms(1234567 * time.Nanosecond); got != "1.235" {
		t.Errorf("ms = %q", got)
	}
	if got := mib(3 << 19); got != "1.5" {
		t.Errorf("mib = %q", got)
	}
}
