package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// usageCell is the ledger's sum for one UTC day, principal and model.
// The dashboard and adoption pages are built from these cells, read
// through the same report the Adoption page offers as a CSV download, so
// the page and the download always agree.
type usageCell struct {
	Day, User, Model                             string
	Requests, Input, Output, Cached, CacheCreate int64
	Reasoning, CostNanos, UnknownCost            int64
}

// Tokens is every input and output token of the cell.
func (c usageCell) Tokens() int64 { return c.Input + c.Output + c.Cached + c.CacheCreate }

// readUsage reads the per-day, per-user, per-model sums in [from, to)
// for principal ("" = everyone).
func readUsage(ctx context.Context, st Store, from, to time.Time, principal string) ([]usageCell, error) {
	var buf bytes.Buffer
	if err := st.UsageCSV(ctx, &buf, from, to, principal); err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	return parseUsageCSV(&buf)
}

// parseUsageCSV reads ledger.UsageCSV output: date, user, model, then
// requests, input, output, cached, cache creation and reasoning tokens,
// cost in nanodollars, cost in USD, and requests of unknown cost.
func parseUsageCSV(r io.Reader) ([]usageCell, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("usage csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, want := range []string{"date", "user", "model", "requests", "input_tokens", "output_tokens", "cost_nanodollars"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("usage csv: no %q column", want)
		}
	}
	var out []usageCell
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("usage csv line %d: %w", line, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		var perr error
		num := func(name string) int64 {
			s := get(name)
			if s == "" {
				return 0
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("usage csv line %d: %s: %w", line, name, err)
			}
			return n
		}
		c := usageCell{
			Day: get("date"), User: csvUnquote(get("user")), Model: csvUnquote(get("model")),
			Requests: num("requests"), Input: num("input_tokens"), Output: num("output_tokens"),
			Cached: num("cached_tokens"), CacheCreate: num("cache_creation_tokens"),
			Reasoning: num("reasoning_tokens"), CostNanos: num("cost_nanodollars"),
			UnknownCost: num("unknown_cost_requests"),
		}
		if perr != nil {
			return nil, perr
		}
		out = append(out, c)
	}
}

// csvUnquote undoes the ledger's spreadsheet-formula guard, a "'" put
// before text starting with = + - @ or a control character.
func csvUnquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && (s[1] == '=' || s[1] == '+' || s[1] == '-' || s[1] == '@' || s[1] == '\t' || s[1] == '\r') {
		return s[1:]
	}
	return s
}

// dayRange is a span of whole UTC days ending today.
type dayRange struct {
	Days     int
	From, To time.Time // [From, To): midnight of the first day, midnight after today
}

// rangeChoices are the spans pages offer.
var rangeChoices = []int{7, 30, 90}

// parseRange reads ?days= (one of rangeChoices, else def).
func parseRange(r *http.Request, now time.Time, def int) dayRange {
	days := def
	if n, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil {
		for _, c := range rangeChoices {
			if n == c {
				days = n
			}
		}
	}
	today := now.UTC().Truncate(24 * time.Hour)
	return dayRange{Days: days, From: today.AddDate(0, 0, -(days - 1)), To: today.AddDate(0, 0, 1)}
}

// Labels are the range's days, "2006-01-02", oldest first.
func (d dayRange) Labels() []string {
	out := make([]string, d.Days)
	for i := range out {
		out[i] = d.From.AddDate(0, 0, i).Format("2006-01-02")
	}
	return out
}

// Short are the range's days as chart labels, "Jan 2".
func (d dayRange) Short() []string {
	out := make([]string, d.Days)
	for i := range out {
		out[i] = d.From.AddDate(0, 0, i).Format("Jan 2")
	}
	return out
}

// perDay spreads cells over the range's days, keyed by key(cell) and
// valued by val(cell).
func perDay(cells []usageCell, d dayRange, key func(usageCell) string, val func(usageCell) int64) map[string][]int64 {
	idx := map[string]int{}
	for i, l := range d.Labels() {
		idx[l] = i
	}
	out := map[string][]int64{}
	for _, c := range cells {
		i, ok := idx[c.Day]
		if !ok {
			continue
		}
		k := key(c)
		if out[k] == nil {
			out[k] = make([]int64, d.Days)
		}
		out[k][i] += val(c)
	}
	return out
}

// usageTotal sums cells sharing a key (a model or a user).
type usageTotal struct {
	Key                             string
	Requests, Input, Output, Cached int64
	CacheCreate, Tokens, CostNanos  int64
	UnknownCost, Users, ActiveDays  int64
	users, days                     map[string]bool
}

// totalsBy sums cells by key, biggest token count first (ties by key).
func totalsBy(cells []usageCell, key func(usageCell) string) []usageTotal {
	m := map[string]*usageTotal{}
	var keys []string
	for _, c := range cells {
		k := key(c)
		t := m[k]
		if t == nil {
			t = &usageTotal{Key: k, users: map[string]bool{}, days: map[string]bool{}}
			m[k] = t
			keys = append(keys, k)
		}
		t.Requests += c.Requests
		t.Input += c.Input
		t.Output += c.Output
		t.Cached += c.Cached
		t.CacheCreate += c.CacheCreate
		t.Tokens += c.Tokens()
		t.CostNanos += c.CostNanos
		t.UnknownCost += c.UnknownCost
		t.users[c.User] = true
		t.days[c.Day] = true
	}
	out := make([]usageTotal, 0, len(keys))
	for _, k := range keys {
		t := m[k]
		t.Users, t.ActiveDays = int64(len(t.users)), int64(len(t.days))
		t.users, t.days = nil, nil
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tokens != out[j].Tokens {
			return out[i].Tokens > out[j].Tokens
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// sumAll totals every cell.
func sumAll(cells []usageCell) usageTotal {
	all := totalsBy(cells, func(usageCell) string { return "" })
	if len(all) == 0 {
		return usageTotal{}
	}
	return all[0]
}
