package pricing

import (
	"math"
	"testing"
)

func TestParseUSD(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"3", 3_000_000_000, false},
		{"3.00", 3_000_000_000, false},
		{"0.075", 75_000_000, false},
		{"$10.00", 10_000_000_000, false},
		{" $0.30 ", 300_000_000, false},
		{"0", 0, false},
		{".5", 500_000_000, false},
		{"2.", 2_000_000_000, false},
		{"0.000000001", 1, false},
		{"1e-3", 1_000_000, false},
		{"1.5E2", 150_000_000_000, false},
		{"9223372036.854775807", math.MaxInt64, false},
		{"9223372036.854775808", 0, true}, // overflow
		{"0.0000000001", 0, true},         // finer than a nanodollar
		{"", 0, true},
		{"$", 0, true},
		{"-1", 0, true},
		{"+1", 0, true},
		{"abc", 0, true},
		{"1/3", 0, true},
		{"0x10", 0, true},
		{"1.2.3", 0, true},
		{"Inf", 0, true},
		{"NaN", 0, true},
		{"1e", 0, true},
		{"e5", 0, true},
		{"1e99999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseUSD(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseUSD(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatUSD(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{3_000_000_000, "3"},
		{75_000_000, "0.075"},
		{1, "0.000000001"},
		{0, "0"},
		{-1_500_000_000, "-1.5"},
		{math.MaxInt64, "9223372036.854775807"},
	}
	for _, tt := range tests {
		got := FormatUSD(tt.in)
		if got != tt.want {
			t.Errorf("FormatUSD(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.in >= 0 {
			if back, err := ParseUSD(got); err != nil || back != tt.in {
				t.Errorf("round trip of %d: %d, %v", tt.in, back, err)
			}
		}
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		in      string
		want    Ratio
		wantErr bool
	}{
		{"1.1", Ratio{11, 10}, false},
		{"0.85", Ratio{17, 20}, false},
		{"2", Ratio{2, 1}, false},
		{"0", Ratio{0, 1}, false},
		{"-1", Ratio{}, true},
		{"x", Ratio{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRatio(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if r, err := RatioFromFloat(1.1); err != nil || r != (Ratio{11, 10}) {
		t.Errorf("RatioFromFloat(1.1) = %v, %v; want 11/10", r, err)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), -0.5} {
		if _, err := RatioFromFloat(f); err == nil {
			t.Errorf("RatioFromFloat(%v): want error", f)
		}
	}
	if !(Ratio{}).IsOne() || !(Ratio{3, 3}).IsOne() || (Ratio{11, 10}).IsOne() {
		t.Error("IsOne wrong")
	}
	if m, err := (Ratio{11, 10}).Mul(Ratio{10, 11}); err != nil || !m.IsOne() {
		t.Errorf("11/10 × 10/11 = %v, %v", m, err)
	}
}
