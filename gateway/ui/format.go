package ui

import (
	"fmt"
	"html/template"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// funcs are the template helpers. Money arrives as integer nanodollars
// and is only ever turned into text here.
var funcs = template.FuncMap{
	"usd":     FormatUSD,
	"usdp":    formatUSDPtr,
	"num":     formatInt,
	"compact": compactInt,
	"ms":      formatMillis,
	"dur":     func(d time.Duration) string { return formatMillis(d.Milliseconds()) },
	"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"when":    formatTime,
	"stamp":   formatStamp,
	"day":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"short":   shorten,
	"join":    strings.Join,
	"add":     func(a, b int64) int64 { return a + b },
	"swatch":  swatch,
	// logs
	"detailURL": detailURL,
	"principal": rowPrincipal,
	"table":     newRequestTable,
}

// FormatUSD renders nanodollars as dollars for people: cents for amounts
// of a dollar or more ("$12.35"), up to four decimals below that
// ("$0.0042"), "$0" for nothing, and "<$0.0001" for a positive dust
// amount that would otherwise read as free. It rounds half up, in
// integer arithmetic, then writes the rounded amount with
// config.FormatDollars and groups the whole dollars ("$12,345.68").
func FormatUSD(nanos int64) string {
	sign := ""
	if nanos < 0 {
		sign, nanos = "-", -nanos
	}
	switch {
	case nanos == 0:
		return "$0"
	case nanos >= config.NanosPerDollar:
		const cent = config.NanosPerDollar / 100
		nanos = (nanos + cent/2) / cent * cent
	case nanos < 5e4:
		return sign + "<$0.0001"
	default:
		const unit = config.NanosPerDollar / 10_000 // a ten-thousandth of a dollar
		nanos = (nanos + unit/2) / unit * unit
	}
	whole, frac, _ := strings.Cut(strings.TrimPrefix(config.FormatDollars(nanos), "$"), ".")
	return sign + "$" + groupDigits(whole) + "." + frac
}

func formatUSDPtr(nanos *int64) string {
	if nanos == nil {
		return "unknown"
	}
	return FormatUSD(*nanos)
}

// formatInt renders n with thousands separators: 1234567 → "1,234,567".
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + groupDigits(s[1:])
	}
	return groupDigits(s)
}

func groupDigits(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// compactInt renders large counts briefly: 950, 12.3k, 4.5M, 1.2B.
func compactInt(n int64) string {
	abs := n
	if abs < 0 {
		abs = -abs
	}
	for _, u := range []struct {
		div  int64
		unit string
	}{{1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if abs >= u.div {
			tenths := (abs*10 + u.div/2) / u.div
			s := strconv.FormatInt(tenths/10, 10)
			if tenths < 1000 && tenths%10 != 0 {
				s += "." + strconv.FormatInt(tenths%10, 10)
			}
			if n < 0 {
				s = "-" + s
			}
			return s + u.unit
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatMillis renders a duration in milliseconds: "850 ms", "2.4 s".
func formatMillis(ms int64) string {
	if ms < 1000 {
		return strconv.FormatInt(ms, 10) + " ms"
	}
	if ms < 60_000 {
		return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) + " s"
	}
	d := (time.Duration(ms) * time.Millisecond).Round(time.Minute)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dm %ds", ms/60_000, ms%60_000/1000)
}

// formatStamp is a compact UTC time for tables: "Nov 26 16:08:33".
func formatStamp(t time.Time) string { return t.UTC().Format("Jan 2 15:04:05") }

// formatTime renders a time in UTC, the zone the ledger's days use.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// shorten cuts s to n runes with an ellipsis, for long session IDs.
func shorten(n int, s string) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// PerMillion turns a price in USD per token, as an exact decimal string
// (the form pricing.Price.PerToken returns), into USD per million tokens
// for display: "0.000003" → "$3.00", "0.000000075" → "$0.075". It returns
// "" for a price that does not parse.
func PerMillion(perToken string) string {
	r, ok := new(big.Rat).SetString(perToken)
	if !ok || r.Sign() < 0 {
		return ""
	}
	r.Mul(r, big.NewRat(1_000_000, 1))
	for prec := 2; prec <= 9; prec++ {
		s := r.FloatString(prec)
		if back, _ := new(big.Rat).SetString(s); back.Cmp(r) == 0 {
			return "$" + s
		}
	}
	return "$" + r.FloatString(9)
}
