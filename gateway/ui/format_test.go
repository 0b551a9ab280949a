package ui

import (
	"testing"
	"time"
)

func TestFormatUSD(t *testing.T) {
	t.Parallel()
	tests := []struct {
		nanos int64
		want  string
	}{
		{0, "$0"},
		{1, "<$0.0001"},
		{49_999, "<$0.0001"},
		{50_000, "$0.0001"},
		{4_200_000, "$0.0042"},
		{10_000_000, "$0.01"},
		{123_456_789, "$0.1235"},
		{999_940_000, "$0.9999"},
		{999_990_000, "$1.00"},
		{1_000_000_000, "$1.00"},
		{1_234_567_890, "$1.23"},
		{1_235_000_000, "$1.24"},
		{12_345_678_900_000, "$12,345.68"},
		{-2_500_000_000, "-$2.50"},
	}
	for _, tt := range tests {
		if got := FormatUSD(tt.nanos); got != tt.want {
			t.Errorf("FormatUSD(%d) = %q, want %q", tt.nanos, got, tt.want)
		}
	}
}

func TestIntFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n            int64
		plain, short string
	}{
		{0, "0", "0"},
		{999, "999", "999"},
		{1000, "1,000", "1k"},
		{1049, "1,049", "1k"},
		{4050, "4,050", "4.1k"},
		{123456, "123,456", "123k"},
		{1_500_000, "1,500,000", "1.5M"},
		{-12345, "-12,345", "-12.3k"},
		{2_000_000_000, "2,000,000,000", "2B"},
	}
	for _, tt := range tests {
		if got := formatInt(tt.n); got != tt.plain {
			t.Errorf("formatInt(%d) = %q, want %q", tt.n, got, tt.plain)
		}
		if got := compactInt(tt.n); got != tt.short {
			t.Errorf("compactInt(%d) = %q, want %q", tt.n, got, tt.short)
		}
	}
}

func TestPerMillion(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"0.000003", "$3.00"},
		{"0.000015", "$15.00"},
		{"0.0000003", "$0.30"},
		{"0.000000075", "$0.075"},
		{"0.00000000125", "$0.00125"},
		{"0", "$0.00"},
		{"nope", ""},
		{"-1", ""},
	}
	for _, tt := range tests {
		if got := PerMillion(tt.in); got != tt.want {
			t.Errorf("PerMillion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSmallFormats(t *testing.T) {
	t.Parallel()
	if got := formatMillis(850); got != "850 ms" {
		t.Errorf("850ms: %q", got)
	}
	if got := formatMillis(2400); got != "2.4 s" {
		t.Errorf("2400ms: %q", got)
	}
	if got := formatMillis(72 * 3600_000); got != "3d 0h" {
		t.Errorf("72h: %q", got)
	}
	if got := formatMillis(90 * 60_000); got != "1h 30m" {
		t.Errorf("90m: %q", got)
	}
	if got := formatMillis(125_000); got != "2m 5s" {
		t.Errorf("125s: %q", got)
	}
	at := time.Date(2026, 5, 1, 13, 4, 5, 0, time.FixedZone("x", 3600))
	if got := formatTime(at); got != "2026-05-01 12:04:05 UTC" {
		t.Errorf("formatTime = %q", got)
	}
	if got := shorten(5, "abcdefgh"); got != "abcd…" {
		t.Errorf("shorten = %q", got)
	}
	if got := shorten(5, "abc"); got != "abc" {
		t.Errorf("shorten short = %q", got)
	}
}
