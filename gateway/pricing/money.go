// Package pricing turns token usage into dollars, exactly.
//
// Money is integer nanodollars (int64, $1 = 1e9) everywhere; prices are
// integer nanodollars per million tokens ($3.00/M = 3_000_000_000), so a
// request's cost, sum(tokens × price) / 1e6, is computed exactly in integers
// and rounded once, half up, to a whole nanodollar. No float ever touches a
// price or a cost.
//
// A price component that is not known is never treated as $0: a cost that
// needs an unknown component is reported as unknown (Cost), or priced
// without it with the component named (CostDetail). An explicit 0 means the
// component is free.
//
// The built-in table (prices.json) is generated from the MIT-licensed npm
// package @pydantic/genai-prices by gen/main.go; see THIRD_PARTY_LICENSE.
package pricing

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// NanosPerDollar is the number of nanodollars in one US dollar.
const NanosPerDollar = 1_000_000_000

var errBadUSD = errors.New("not a non-negative decimal dollar amount")

// parseDecimal parses a plain non-negative decimal ("3", "3.00", "0.075",
// ".5", "1e-3") into an exact rational. It rejects signs other than in an
// exponent, fractions, hex, Inf and NaN, which big.Rat would otherwise take.
func parseDecimal(s string) (*big.Rat, error) {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
		case c == 'e' || c == 'E':
			if digits == 0 || i+1 == len(s) {
				return nil, errBadUSD
			}
			rest := s[i+1:]
			if rest[0] == '+' || rest[0] == '-' {
				rest = rest[1:]
			}
			if _, err := strconv.ParseUint(rest, 10, 16); err != nil {
				return nil, errBadUSD
			}
			i = len(s)
		default:
			return nil, errBadUSD
		}
	}
	if digits == 0 || strings.Count(s, ".") > 1 {
		return nil, errBadUSD
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, errBadUSD
	}
	return r, nil
}

// ParseUSD parses a dollar amount such as "3", "3.00", "0.075" or "$10.00"
// into nanodollars, exactly. Amounts finer than a nanodollar, negative
// amounts and amounts that overflow int64 are errors.
func ParseUSD(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "$")
	r, err := parseDecimal(t)
	if err != nil {
		return 0, fmt.Errorf("parsing USD %q: %w", s, err)
	}
	r.Mul(r, big.NewRat(NanosPerDollar, 1))
	if !r.IsInt() {
		return 0, fmt.Errorf("parsing USD %q: finer than a nanodollar", s)
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("parsing USD %q: too large", s)
	}
	return n.Int64(), nil
}

// FormatUSD renders nanodollars as a plain decimal dollar string without
// trailing zeros ("3", "0.075"), the inverse of ParseUSD.
func FormatUSD(nanos int64) string {
	neg := nanos < 0
	u := uint64(nanos)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/NanosPerDollar, 10)
	if frac := u % NanosPerDollar; frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
		s += "." + f
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Ratio is an exact non-negative multiplier Num/Den. The zero value means 1,
// so a Price without an adjustment needs no special case.
type Ratio struct {
	Num, Den int64
}

// IsOne reports whether r multiplies by exactly 1.
func (r Ratio) IsOne() bool {
	return r.Den == 0 || r.Num == r.Den
}

func (r Ratio) rat() *big.Rat {
	if r.Den == 0 {
		return big.NewRat(1, 1)
	}
	return big.NewRat(r.Num, r.Den)
}

// Mul returns r × o, reduced.
func (r Ratio) Mul(o Ratio) (Ratio, error) {
	return ratioFromRat(new(big.Rat).Mul(r.rat(), o.rat()))
}

func ratioFromRat(x *big.Rat) (Ratio, error) {
	if x.Sign() < 0 || !x.Num().IsInt64() || !x.Denom().IsInt64() {
		return Ratio{}, fmt.Errorf("multiplier %s out of range", x.RatString())
	}
	return Ratio{x.Num().Int64(), x.Denom().Int64()}, nil
}

// ParseRatio parses a decimal multiplier such as "1.1" or "0.85" exactly
// (1.1 is 11/10, not the nearest binary float).
func ParseRatio(s string) (Ratio, error) {
	r, err := parseDecimal(strings.TrimSpace(s))
	if err != nil {
		return Ratio{}, fmt.Errorf("parsing multiplier %q: %w", s, err)
	}
	return ratioFromRat(r)
}

// RatioFromFloat converts a multiplier decoded as a float64 (e.g. from a
// JSON config) by way of its shortest decimal representation, so 1.1 gives
// exactly 11/10 — what the user wrote, not 1.100000000000000088817...
func RatioFromFloat(f float64) (Ratio, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return Ratio{}, fmt.Errorf("multiplier %v out of range", f)
	}
	return ParseRatio(strconv.FormatFloat(f, 'f', -1, 64))
}
