package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		nanos   int64
		period  time.Duration
		wantErr bool
	}{
		{"$5.00/day", 5 * NanosPerDollar, 24 * time.Hour, false},
		{"$1.00/hour", NanosPerDollar, time.Hour, false},
		{"$0.10/min", 100_000_000, time.Minute, false},
		{"$7/week", 7 * NanosPerDollar, 7 * 24 * time.Hour, false},
		{"$500.00/month", 500 * NanosPerDollar, 30 * 24 * time.Hour, false},
		{"$0.00/day", 0, 24 * time.Hour, false},
		{"$5.00", 0, 0, true},
		{"$5.00/fortnight", 0, 0, true},
		{"five/day", 0, 0, true},
		{"$-1/day", 0, 0, true},
		{"", 0, 0, true},
	}
	for _, tt := range tests {
		n, p, err := ParseRate(tt.in)
		if (err != nil) != tt.wantErr || n != tt.nanos || p != tt.period {
			t.Errorf("ParseRate(%q) = %d, %v, %v; want %d, %v, err=%v", tt.in, n, p, err, tt.nanos, tt.period, tt.wantErr)
		}
	}
}

func TestParseQuotas(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		capacity int64
		rate     int64
		period   time.Duration
		wantErr  string // substring of Quota.Err; "" = valid
	}{
		{"valid", `{"capacity": "$10.00", "rate": "$5.00/day", "on_exceed": "reject"}`, 10 * NanosPerDollar, 5 * NanosPerDollar, 24 * time.Hour, ""},
		{"on_exceed defaults", `{"capacity": "$2.00", "rate": "$1.00/hour"}`, 2 * NanosPerDollar, NanosPerDollar, time.Hour, ""},
		{"zero capacity", `{"capacity": "$0.00", "rate": "$1.00/hour"}`, 0, NanosPerDollar, time.Hour, ""},
		{"bad capacity", `{"capacity": "ten dollars", "rate": "$1.00/hour"}`, 0, NanosPerDollar, time.Hour, "capacity"},
		{"bad unit", `{"capacity": "$1", "rate": "$1.00/year"}`, NanosPerDollar, 0, 0, "unknown unit"},
		{"missing rate", `{"capacity": "$1"}`, NanosPerDollar, 0, 0, "missing rate"},
		{"missing capacity", `{"rate": "$1/day"}`, 0, NanosPerDollar, 24 * time.Hour, "missing capacity"},
		{"bad on_exceed", `{"capacity": "$1", "rate": "$1/day", "on_exceed": "throttle"}`, NanosPerDollar, NanosPerDollar, 24 * time.Hour, "on_exceed"},
		{"number capacity", `{"capacity": 10, "rate": "$1/day"}`, 0, NanosPerDollar, 24 * time.Hour, "capacity must be a string"},
		{"not an object", `"$10"`, 0, 0, 0, "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `{"quotas": {"q": ` + tt.body + `}}`
			cfg, diags, err := Parse([]byte(src))
			if err != nil {
				t.Fatalf("Parse: %v (bad quotas must not make the config unusable)", err)
			}
			q := cfg.Quotas["q"]
			if q == nil {
				t.Fatal("quota q missing; invalid quotas must still be present so they fail closed")
			}
			if tt.wantErr == "" {
				if q.Err != nil {
					t.Fatalf("Err = %v, want nil", q.Err)
				}
				if q.OnExceed != "reject" {
					t.Errorf("OnExceed = %q", q.OnExceed)
				}
			} else {
				if q.Err == nil || !strings.Contains(q.Err.Error(), tt.wantErr) {
					t.Fatalf("Err = %v, want it to mention %q", q.Err, tt.wantErr)
				}
				if !hasDiagPrefix(diags, "quotas.q") {
					t.Errorf("no warning under quotas.q: %v", diags)
				}
			}
			if q.Capacity != tt.capacity || q.RateNanos != tt.rate || q.RatePeriod != tt.period {
				t.Errorf("got capacity %d rate %d/%v, want %d %d/%v", q.Capacity, q.RateNanos, q.RatePeriod, tt.capacity, tt.rate, tt.period)
			}
		})
	}
}

func TestQuotaTemplateWarning(t *testing.T) {
	_, diags, err := Parse([]byte(`{"quotas": {
		"ok:<user>": {"capacity": "$1", "rate": "$1/day"},
		"dev:<node>": {"capacity": "$1", "rate": "$1/day"},
		"team:<group>": {"capacity": "$1", "rate": "$1/day"},
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !hasDiagMsg(diags, "quotas.team:<group>", "unsupported template <group>") {
		t.Errorf("missing template warning: %v", diags)
	}
	if hasDiag(diags, "quotas.ok:<user>") || hasDiag(diags, "quotas.dev:<node>") {
		t.Errorf("valid templates warned: %v", diags)
	}
}

func TestQuotaRefill(t *testing.T) {
	q := &Quota{RateNanos: 5 * NanosPerDollar, RatePeriod: 24 * time.Hour}
	tests := []struct {
		elapsed time.Duration
		want    int64
	}{
		{0, 0},
		{-time.Hour, 0},
		{24 * time.Hour, 5 * NanosPerDollar},
		{12 * time.Hour, 2_500_000_000},
		{time.Second, 57870}, // 5e9/86400 = 57870.37, floored
	}
	for _, tt := range tests {
		if got := q.Refill(tt.elapsed); got != tt.want {
			t.Errorf("Refill(%v) = %d, want %d", tt.elapsed, got, tt.want)
		}
	}
	huge := &Quota{RateNanos: math.MaxInt64, RatePeriod: time.Nanosecond}
	if got := huge.Refill(time.Hour); got != math.MaxInt64 {
		t.Errorf("saturating Refill = %d, want MaxInt64", got)
	}
	if got := (&Quota{}).Refill(time.Hour); got != 0 {
		t.Errorf("zero-rate Refill = %d", got)
	}
}

func TestQuotaRetryAfter(t *testing.T) {
	q := &Quota{RateNanos: NanosPerDollar, RatePeriod: time.Hour}
	tests := []struct {
		deficit int64
		want    time.Duration
		ok      bool
	}{
		{0, 0, true},
		{-5, 0, true},
		{NanosPerDollar, time.Hour, true},
		{NanosPerDollar / 2, 30 * time.Minute, true},
		{1, time.Second, true}, // 3.6µs rounds up to a whole second
		{NanosPerDollar + 1, time.Hour + time.Second, true},
	}
	for _, tt := range tests {
		got, ok := q.RetryAfter(tt.deficit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%d) = %v, %v; want %v, %v", tt.deficit, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := (&Quota{RatePeriod: time.Hour}).RetryAfter(1); ok {
		t.Error("RetryAfter on a never-refilling bucket reported ok")
	}
	if got := q.PerSecond(); math.Abs(got-277777.777) > 0.01 {
		t.Errorf("PerSecond = %v", got)
	}
}

func TestValidateBucketName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"team-monthly", true},
		{"daily:<user>", true},
		{"device:<node>", true},
		{"<user>:<node>", true},
		{"daily:<group>", false},
		{"daily:<>", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := ValidateBucketName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateBucketName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestCalendarBudgets(t *testing.T) {
	cfg, diags, err := Parse([]byte(`{"quotas": {
		"monthly": {"capacity": "$50", "reset": "month"},
		"weekly": {"capacity": "$10", "reset": "Weekly", "timezone": "Europe/Berlin"},
		"both": {"capacity": "$1", "rate": "$1/day", "reset": "day"},
		"neither": {"capacity": "$1"},
		"zone": {"capacity": "$1", "rate": "$1/day", "timezone": "UTC"},
		"badzone": {"capacity": "$1", "reset": "day", "timezone": "Mars/Olympus"},
		"badreset": {"capacity": "$1", "reset": "fortnight"},
	}}`))
	if err != nil {
		t.Fatal(err, diags)
	}
	m := cfg.Quotas["monthly"]
	if m.Err != nil || !m.Calendar() || m.Reset != ResetMonth {
		t.Errorf("monthly = %+v", m)
	}
	w := cfg.Quotas["weekly"]
	if w.Err != nil || w.Reset != ResetWeek || w.Location.String() != "Europe/Berlin" {
		t.Errorf("weekly = %+v", w)
	}
	for name, want := range map[string]string{"both": "not both", "neither": "missing rate", "zone": "only to a \"reset\"",
		"badzone": "Mars/Olympus", "badreset": "fortnight"} {
		if q := cfg.Quotas[name]; q.Err == nil || !strings.Contains(q.Err.Error(), want) {
			t.Errorf("%s: Err = %v, want it to mention %q", name, q.Err, want)
		}
	}

	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tt := range []struct {
		reset      string
		loc        *time.Location
		at         time.Time
		start, end time.Time
	}{
		{ResetMonth, nil, time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{ResetMonth, nil, time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ResetWeek, nil, time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}, // Thursday → Monday
		{ResetWeek, nil, time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}, // Sunday
		{ResetDay, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		// Midnight in Berlin, across the change to summer time.
		{ResetDay, berlin, time.Date(2026, 3, 29, 12, 0, 0, 0, berlin), time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 3, 30, 0, 0, 0, 0, berlin)},
	} {
		q := &Quota{Reset: tt.reset, Location: tt.loc}
		if s, e := q.PeriodStart(tt.at), q.NextReset(tt.at); !s.Equal(tt.start) || !e.Equal(tt.end) {
			t.Errorf("%s at %v: period %v–%v, want %v–%v", tt.reset, tt.at, s, e, tt.start, tt.end)
		}
	}
}
