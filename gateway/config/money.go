package config

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// NanosPerDollar is the number of nanodollars in one US dollar. All money
// in the gateway is an int64 count of nanodollars so sums are exact.
const NanosPerDollar = 1_000_000_000

// ParseDollars parses a dollar amount such as "$10.00", "$0.5" or "3" into
// nanodollars. The "$" is optional; up to nine decimal places are allowed;
// negative amounts, exponents and overflow are errors. It never goes
// through float64, so "$0.10" is exactly 100000000.
func ParseDollars(s string) (int64, error) {
	n, err := parseDecimalNanos(strings.TrimPrefix(strings.TrimSpace(s), "$"))
	if err != nil {
		return 0, fmt.Errorf("invalid dollar amount %q: %w", s, err)
	}
	return n, nil
}

var (
	errEmpty     = errors.New("empty")
	errNegative  = errors.New("negative")
	errSyntax    = errors.New("not a plain decimal number")
	errPrecision = errors.New("more than 9 decimal places")
	errRange     = errors.New("too large")
)

// parseDecimalNanos parses a non-negative plain decimal ("12", "0.075",
// ".5") into billionths of its unit.
func parseDecimalNanos(s string) (int64, error) {
	if s == "" {
		return 0, errEmpty
	}
	if s[0] == '-' {
		return 0, errNegative
	}
	if s[0] == '+' {
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, errSyntax
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, errSyntax
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 9 {
		return 0, errPrecision
	}
	var w int64
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil {
			return 0, errRange
		}
	}
	if w > math.MaxInt64/NanosPerDollar {
		return 0, errRange
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	n := w*NanosPerDollar + f
	if n < 0 {
		return 0, errRange
	}
	return n, nil
}

// FormatDollars renders nanodollars as "$1.50", with at least two decimal
// places and as many more as needed to be exact ("$0.000000001").
func FormatDollars(nanos int64) string {
	sign := ""
	u := uint64(nanos)
	if nanos < 0 {
		sign = "-"
		u = uint64(-(nanos + 1)) + 1 // safe for MinInt64
	}
	whole, frac := u/NanosPerDollar, u%NanosPerDollar
	fs := strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
	for len(fs) < 2 {
		fs += "0"
	}
	return fmt.Sprintf("%s$%d.%s", sign, whole, fs)
}

// numberNanos converts a JSON number literal (which may use an exponent,
// as in 1e-3) into billionths exactly, using rational arithmetic.
func numberNanos(lit string) (int64, error) {
	if len(lit) > 64 {
		return 0, fmt.Errorf("number %.20s… too long", lit)
	}
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		// Bound the exponent: big.Rat would happily build 10^99999999.
		if e, err := strconv.Atoi(lit[i+1:]); err != nil || e < -40 || e > 40 {
			return 0, fmt.Errorf("number %s: exponent out of range", lit)
		}
	}
	r, ok := new(big.Rat).SetString(lit)
	if !ok {
		return 0, fmt.Errorf("invalid number %s", lit)
	}
	if r.Sign() < 0 {
		return 0, fmt.Errorf("number %s: %w", lit, errNegative)
	}
	r.Mul(r, big.NewRat(NanosPerDollar, 1))
	if !r.IsInt() {
		return 0, fmt.Errorf("number %s: %w", lit, errPrecision)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("number %s: %w", lit, errRange)
	}
	return r.Num().Int64(), nil
}
