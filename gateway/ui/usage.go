package ui

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

// readUsage reads the ledger's per-day, per-user, per-model sums in
// [from, to) for principal ("" = everyone): the cells the dashboard,
// adoption and tool use pages are built from, the same ones the Adoption
// page's CSV download writes, so the page and the download agree.
func readUsage(ctx context.Context, st Store, from, to time.Time, principal string) ([]ledger.UsageCell, error) {
	cells, err := st.UsageCells(ctx, from, to, principal)
	if err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	return cells, nil
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
func perDay(cells []ledger.UsageCell, d dayRange, key func(ledger.UsageCell) string, val func(ledger.UsageCell) int64) map[string][]int64 {
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
func totalsBy(cells []ledger.UsageCell, key func(ledger.UsageCell) string) []usageTotal {
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
		t.Input += c.InputTokens
		t.Output += c.OutputTokens
		t.Cached += c.CachedTokens
		t.CacheCreate += c.CacheCreationTokens
		t.Tokens += c.Tokens()
		t.CostNanos += c.CostNanos
		t.UnknownCost += c.UnknownCostRequests
		t.users[c.Principal] = true
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
func sumAll(cells []ledger.UsageCell) usageTotal {
	all := totalsBy(cells, func(ledger.UsageCell) string { return "" })
	if len(all) == 0 {
		return usageTotal{}
	}
	return all[0]
}
