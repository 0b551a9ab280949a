package config

import (
	"math"
	"testing"
)

func TestParseDollars(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"$10.00", 10 * NanosPerDollar, false},
		{"$0.10", 100_000_000, false},
		{"$0.5", 500_000_000, false},
		{"3", 3 * NanosPerDollar, false},
		{"$.25", 250_000_000, false},
		{"5.", 5 * NanosPerDollar, false},
		{"$0.000000001", 1, false},
		{"$0.0000000010", 1, false}, // trailing zeros beyond 9 places are fine
		{" $1.5 ", 1_500_000_000, false},
		{"$0.00", 0, false},
		{"$9223372036", 9223372036 * NanosPerDollar, false},
		{"", 0, true},
		{"$", 0, true},
		{".", 0, true},
		{"$-1.00", 0, true},
		{"-1", 0, true},
		{"$1e3", 0, true},
		{"$1,000", 0, true},
		{"$0.0000000001", 0, true}, // below a nanodollar
		{"$9223372037", 0, true},   // overflows int64 nanodollars
		{"$99999999999999999999", 0, true},
		{"ten", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDollars(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDollars(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatDollars(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "$0.00"},
		{5 * NanosPerDollar, "$5.00"},
		{1_500_000_000, "$1.50"},
		{1, "$0.000000001"},
		{123_456_789, "$0.123456789"},
		{4_200_000, "$0.0042"},
		{-2_500_000_000, "-$2.50"},
		{math.MinInt64, "-$9223372036.854775808"},
		{math.MaxInt64, "$9223372036.854775807"},
	}
	for _, tt := range tests {
		if got := FormatDollars(tt.in); got != tt.want {
			t.Errorf("FormatDollars(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, n := range []int64{0, 1, 99, 10 * NanosPerDollar, 123_456_789_012} {
		back, err := ParseDollars(FormatDollars(n))
		if err != nil || back != n {
			t.Errorf("round trip %d -> %q -> %d, %v", n, FormatDollars(n), back, err)
		}
	}
}

func TestNumberNanos(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"3", 3 * NanosPerDollar, false},
		{"0.075", 75_000_000, false},
		{"1e-3", 1_000_000, false},
		{"2.5E2", 250 * NanosPerDollar, false},
		{"1e-9", 1, false},
		{"1e-10", 0, true},
		{"-1", 0, true},
		{"1e30", 0, true},
		{"x", 0, true},
		{"1e999999999", 0, true},
		{"1e+2", 100 * NanosPerDollar, false},
	}
	for _, tt := range tests {
		got, err := numberNanos(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("numberNanos(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
