package config

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // calendar budgets' time zones, on hosts without a zoneinfo database

	"github.com/tailscale/hujson"
)

// Quota is one dollar bucket definition from the "quotas" map. The bucket
// starts full at Capacity and either refills continuously at RateNanos per
// RatePeriod ("rate") or, as a calendar budget ("reset"), is full again
// at the start of each calendar day, week (Monday) or month (the 1st) in
// Location. A definition that does not parse keeps its name and has Err
// set: requests charged to it must be rejected (fail closed) rather than
// run unmetered.
type Quota struct {
	Name       string        // bucket name, may contain <user> / <node>
	Capacity   int64         // nanodollars; also the starting balance
	Rate       string        // the rate as written, e.g. "$5.00/day"
	RateNanos  int64         // nanodollars added per RatePeriod
	RatePeriod time.Duration // refill period unit (minute … 30-day month)
	Reset      string        // "", ResetDay, ResetWeek or ResetMonth
	Location   *time.Location
	OnExceed   string // always "reject" when Err is nil
	Err        error  // non-nil when the definition is invalid
}

// The calendar periods a budget may reset at.
const (
	ResetDay   = "day"
	ResetWeek  = "week"
	ResetMonth = "month"
)

// resetNames maps the spellings "reset" accepts to a period.
var resetNames = map[string]string{
	"day": ResetDay, "daily": ResetDay,
	"week": ResetWeek, "weekly": ResetWeek,
	"month": ResetMonth, "monthly": ResetMonth,
}

// Calendar reports whether q is a calendar budget rather than a refill
// rate.
func (q *Quota) Calendar() bool { return q.Reset != "" }

func (q *Quota) loc() *time.Location {
	if q.Location == nil {
		return time.UTC
	}
	return q.Location
}

// PeriodStart is when the calendar period holding t began.
func (q *Quota) PeriodStart(t time.Time) time.Time {
	t = t.In(q.loc())
	y, m, d := t.Date()
	switch q.Reset {
	case ResetDay:
		return time.Date(y, m, d, 0, 0, 0, 0, q.loc())
	case ResetWeek:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, q.loc())
	}
	return time.Date(y, m, 1, 0, 0, 0, 0, q.loc())
}

// NextReset is when the calendar period after the one holding t begins.
func (q *Quota) NextReset(t time.Time) time.Time {
	s := q.PeriodStart(t)
	switch q.Reset {
	case ResetDay:
		return s.AddDate(0, 0, 1)
	case ResetWeek:
		return s.AddDate(0, 0, 7)
	}
	return s.AddDate(0, 1, 0)
}

// Describe says how the bucket fills, for pages and hook payloads:
// the rate as written, or "$50.00 per calendar month (UTC)".
func (q *Quota) Describe() string {
	if !q.Calendar() {
		return q.Rate
	}
	return fmt.Sprintf("%s per calendar %s (%s)", FormatDollars(q.Capacity), q.Reset, q.loc())
}

// WaitFrom returns how long, from now, the bucket needs to gain deficit
// nanodollars: the refill time (RetryAfter), or for a calendar budget the
// time to its next reset. ok is false when waiting cannot help.
func (q *Quota) WaitFrom(deficit int64, now time.Time) (time.Duration, bool) {
	if !q.Calendar() {
		return q.RetryAfter(deficit)
	}
	if deficit <= 0 {
		return 0, true
	}
	d := q.NextReset(now).Sub(now)
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d, true
}

// rateUnits maps the documented rate units to their period.
var rateUnits = map[string]time.Duration{
	"min":    time.Minute,
	"minute": time.Minute,
	"hour":   time.Hour,
	"day":    24 * time.Hour,
	"week":   7 * 24 * time.Hour,
	"month":  30 * 24 * time.Hour,
}

// ParseRate parses a refill rate such as "$5.00/day" into nanodollars per
// period. Units are min, hour, day, week and month (30 days).
func ParseRate(s string) (nanos int64, period time.Duration, err error) {
	amount, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf("invalid rate %q: want \"$<amount>/<min|hour|day|week|month>\"", s)
	}
	period, ok = rateUnits[strings.ToLower(strings.TrimSpace(unit))]
	if !ok {
		return 0, 0, fmt.Errorf("invalid rate %q: unknown unit %q (want min, hour, day, week or month)", s, unit)
	}
	nanos, err = ParseDollars(amount)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid rate %q: %w", s, err)
	}
	return nanos, period, nil
}

// PerSecond returns the refill rate in nanodollars per second, for display
// only; use Refill for balance arithmetic, which is exact.
func (q *Quota) PerSecond() float64 {
	if q.RatePeriod <= 0 {
		return 0
	}
	return float64(q.RateNanos) / q.RatePeriod.Seconds()
}

// Refill returns how many nanodollars flow into the bucket over elapsed,
// computed exactly in 128-bit integer arithmetic and saturating at
// math.MaxInt64. Negative elapsed refills nothing.
func (q *Quota) Refill(elapsed time.Duration) int64 {
	if elapsed <= 0 || q.RateNanos <= 0 || q.RatePeriod <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(q.RateNanos), uint64(elapsed))
	if hi >= uint64(q.RatePeriod) {
		return math.MaxInt64
	}
	quo, _ := bits.Div64(hi, lo, uint64(q.RatePeriod))
	if quo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(quo)
}

// RetryAfter returns how long the bucket needs to refill deficit
// nanodollars, rounded up to whole seconds (the HTTP Retry-After unit).
// ok is false when the bucket never refills.
func (q *Quota) RetryAfter(deficit int64) (d time.Duration, ok bool) {
	if deficit <= 0 {
		return 0, true
	}
	if q.RateNanos <= 0 || q.RatePeriod <= 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(deficit), uint64(q.RatePeriod))
	if hi >= uint64(q.RateNanos) {
		return math.MaxInt64, true
	}
	quo, rem := bits.Div64(hi, lo, uint64(q.RateNanos))
	if rem != 0 {
		quo++
	}
	if quo > math.MaxInt64 {
		return math.MaxInt64, true
	}
	d = time.Duration(quo)
	if d > math.MaxInt64-time.Second {
		return math.MaxInt64, true
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d, true
}

// templateRE finds <...> placeholders in bucket names.
var templateRE = regexp.MustCompile(`<[^<>]*>`)

// ValidateBucketName reports an error when name contains a placeholder
// other than the supported <user> and <node>.
func ValidateBucketName(name string) error {
	if name == "" {
		return errors.New("empty bucket name")
	}
	for _, t := range templateRE.FindAllString(name, -1) {
		if t != "<user>" && t != "<node>" {
			return fmt.Errorf("bucket name %q uses unsupported template %s (want <user> or <node>)", name, t)
		}
	}
	return nil
}

// parseQuotas decodes the top-level "quotas" map.
func (w *walker) parseQuotas(v *hujson.Value, path string) map[string]*Quota {
	obj, ok := w.object(v, path)
	if !ok {
		return nil
	}
	out := make(map[string]*Quota, len(obj.Members))
	w.eachMember(obj, path, func(name string, v *hujson.Value, path string) {
		q := &Quota{Name: name, OnExceed: "reject"}
		out[name] = q
		if err := ValidateBucketName(name); err != nil {
			w.warn(v, path, "%v", err)
		}
		var errs []error
		bad := func(v *hujson.Value, path string, err error) {
			w.warn(v, path, "invalid quota definition, requests using it will be rejected: %v", err)
			errs = append(errs, err)
		}
		o, ok := v.Value.(*hujson.Object)
		if !ok {
			bad(v, path, fmt.Errorf("quota must be an object, not %s", kindName(v)))
			q.Err = errors.Join(errs...)
			return
		}
		var haveCap, haveRate bool
		w.members(o, path, map[string]fieldFunc{
			"capacity": func(v *hujson.Value, path string) {
				s, ok := w.str(v, path)
				if !ok {
					errs = append(errs, errors.New("capacity must be a string like \"$10.00\""))
					return
				}
				n, err := ParseDollars(s)
				if err != nil {
					bad(v, path, fmt.Errorf("capacity: %w", err))
					return
				}
				q.Capacity, haveCap = n, true
			},
			"rate": func(v *hujson.Value, path string) {
				s, ok := w.str(v, path)
				if !ok {
					errs = append(errs, errors.New("rate must be a string like \"$5.00/day\""))
					return
				}
				q.Rate = s
				n, p, err := ParseRate(s)
				if err != nil {
					bad(v, path, err)
					return
				}
				q.RateNanos, q.RatePeriod, haveRate = n, p, true
			},
			"reset": func(v *hujson.Value, path string) {
				str, ok := w.str(v, path)
				if !ok {
					errs = append(errs, errors.New(`reset must be a string: "day", "week" or "month"`))
					return
				}
				r, ok := resetNames[strings.ToLower(strings.TrimSpace(str))]
				if !ok {
					bad(v, path, fmt.Errorf("reset %q: want day, week or month (a calendar budget, full again at the start of each)", str))
					return
				}
				q.Reset = r
			},
			"timezone": func(v *hujson.Value, path string) {
				str, ok := w.str(v, path)
				if !ok {
					errs = append(errs, errors.New(`timezone must be a string such as "Europe/Berlin"`))
					return
				}
				loc, err := time.LoadLocation(str)
				if err != nil {
					bad(v, path, fmt.Errorf("timezone %q: %v", str, err))
					return
				}
				q.Location = loc
			},
			"on_exceed": func(v *hujson.Value, path string) {
				s, ok := w.str(v, path)
				if !ok {
					errs = append(errs, errors.New("on_exceed must be a string"))
					return
				}
				if s != "reject" {
					bad(v, path, fmt.Errorf("on_exceed %q is not supported (only \"reject\")", s))
				}
			},
		})
		if !haveCap && !hasMember(o, "capacity") {
			bad(v, path, errors.New("missing capacity"))
		}
		switch {
		case q.Reset != "" && hasMember(o, "rate"):
			bad(v, path, errors.New(`set "rate" (refills continuously) or "reset" (full again each calendar period), not both`))
		case q.Reset == "" && !haveRate && !hasMember(o, "rate") && !hasMember(o, "reset"):
			bad(v, path, errors.New(`missing rate (e.g. "$5.00/day"), or reset for a calendar budget (e.g. "month")`))
		}
		if q.Location != nil && q.Reset == "" {
			bad(v, path, errors.New(`"timezone" applies only to a "reset" budget`))
		}
		q.Err = errors.Join(errs...)
	})
	return out
}

func hasMember(obj *hujson.Object, name string) bool { return memberNamed(obj, name) != nil }
