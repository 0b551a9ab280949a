package ui

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

func TestParseRange(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 10, 23, 59, 0, 0, time.UTC)
	tests := []struct {
		q    string
		days int
	}{{"", 14}, {"?days=7", 7}, {"?days=90", 90}, {"?days=5", 14}, {"?days=x", 14}}
	for _, tt := range tests {
		d := parseRange(httptest.NewRequest("GET", "/ui/"+tt.q, nil), now, 14)
		if d.Days != tt.days || !d.To.Equal(time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC)) ||
			d.To.Sub(d.From) != time.Duration(tt.days)*24*time.Hour {
			t.Errorf("%s: %+v", tt.q, d)
		}
		if l := d.Labels(); len(l) != tt.days || l[len(l)-1] != "2026-05-10" {
			t.Errorf("%s: labels end %v", tt.q, l[len(l)-1])
		}
	}
}

func TestTotalsBy(t *testing.T) {
	t.Parallel()
	cell := func(day, user, model string, t ledger.UsageTotals) ledger.UsageCell {
		return ledger.UsageCell{Day: day, Principal: user, Model: model, UsageTotals: t}
	}
	cells := []ledger.UsageCell{
		cell("d1", "a", "m1", ledger.UsageTotals{Requests: 1, InputTokens: 10, CostNanos: 5}),
		cell("d2", "a", "m2", ledger.UsageTotals{Requests: 1, InputTokens: 100}),
		cell("d2", "b", "m1", ledger.UsageTotals{Requests: 2, InputTokens: 10, UnknownCostRequests: 1}),
	}
	byModel := totalsBy(cells, func(c ledger.UsageCell) string { return c.Model })
	if len(byModel) != 2 || byModel[0].Key != "m2" || byModel[1].Users != 2 || byModel[1].Requests != 3 || byModel[1].UnknownCost != 1 {
		t.Errorf("by model = %+v", byModel)
	}
	byUser := totalsBy(cells, func(c ledger.UsageCell) string { return c.Principal })
	if byUser[0].Key != "a" || byUser[0].ActiveDays != 2 || byUser[0].CostNanos != 5 {
		t.Errorf("by user = %+v", byUser)
	}
	if all := sumAll(cells); all.Requests != 4 || all.Tokens != 120 {
		t.Errorf("all = %+v", all)
	}
}
