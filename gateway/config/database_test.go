package config

import (
	"slices"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	tests := []struct {
		in      string
		forever bool
		d       time.Duration
		ok      bool
	}{
		{"", true, 0, true},
		{"0", false, 0, true},
		{"30d", false, 30 * 24 * time.Hour, true},
		{"720h", false, 720 * time.Hour, true},
		{"1h", false, time.Hour, true},
		{"3650d", false, 3650 * 24 * time.Hour, true},
		{"30m", false, 0, false},   // below 1h
		{"3651d", false, 0, false}, // above max
		{"forever", false, 0, false},
		{"-5d", false, 0, false},
	}
	for _, tt := range tests {
		forever, d, ok := ParseRetention(tt.in)
		if forever != tt.forever || d != tt.d || ok != tt.ok {
			t.Errorf("ParseRetention(%q) = %v %v %v, want %v %v %v", tt.in, forever, d, ok, tt.forever, tt.d, tt.ok)
		}
	}
}

func TestParseDatabase(t *testing.T) {
	acceptNotBuilt(t) // parses fields that are refused until built
	cfg, _, err := Parse([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Database.Retention; r.Forever || r.Period != 30*24*time.Hour || !slices.Equal(r.Purge, []string{"captures"}) {
		t.Errorf("default retention = %+v", r)
	}
	cfg, diags, err := Parse([]byte(`{"exporters": {"s3": {"bucket_name": "b"}}, "database": {"retention": {"duration": "30d", "require_export": true, "purge": ["captures", "tools", "bodies"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Database.Retention
	if r.Forever || r.Period != 30*24*time.Hour || r.Duration != "30d" || !r.RequireExport || !slices.Equal(r.Purge, []string{"captures", "tools"}) {
		t.Errorf("retention = %+v", r)
	}
	if !hasDiagMsg(diags, "database.retention.purge", `unknown purge target "bodies"`) {
		t.Errorf("diags = %v", diags)
	}
	cfg, diags, _ = Parse([]byte(`{"database": {"retention": {"duration": "5 minutes"}}}`))
	if r := cfg.Database.Retention; r.Forever || r.Period != 30*24*time.Hour || !hasDiagMsg(diags, "database.retention.duration", "keeping captures the default 30d") {
		t.Errorf("bad duration: %+v %v", cfg.Database.Retention, diags)
	}
}

// TestDefaultRetentionIsFinite checks that captures, which hold every
// prompt and answer, are purged after DefaultRetention unless the config
// says otherwise, that purging only ever targets captures (never metric
// rows), and that keeping them forever takes an explicit "".
func TestDefaultRetentionIsFinite(t *testing.T) {
	month := 30 * 24 * time.Hour
	tests := []struct {
		name    string
		src     string
		forever bool
		period  time.Duration
	}{
		{"no database block", `{}`, false, month},
		{"empty database block", `{"database": {}}`, false, month},
		{"retention without a duration", `{"database": {"retention": {"purge": ["captures"]}}}`, false, month},
		{"the default config", DefaultConfigText, false, month},
		{"a duration of its own", `{"database": {"retention": {"duration": "7d"}}}`, false, 7 * 24 * time.Hour},
		{"forever only when written", `{"database": {"retention": {"duration": ""}}}`, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags, err := Parse([]byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v (%v)", err, diags)
			}
			r := cfg.Database.Retention
			if r.Forever != tt.forever || r.Period != tt.period {
				t.Errorf("retention = %+v, want forever=%v period=%v", r, tt.forever, tt.period)
			}
			if !slices.Equal(r.Purge, []string{"captures"}) {
				t.Errorf("purge = %v, want only captures", r.Purge)
			}
		})
	}
}
