package ui

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseUsageCSV(t *testing.T) {
	csv := "date,user,model,requests,input_tokens,output_tokens,cached_tokens,cache_creation_tokens,reasoning_tokens,cost_nanodollars,cost_usd,unknown_cost_requests\n" +
		"2026-05-01,alice@example.com,gpt-4o,2,100,10,5,1,0,1500,0.0000015,0\n" +
		"2026-05-01,'=cmd,'-model,1,1,1,0,0,0,0,0,1\n"
	cells, err := parseUsageCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 {
		t.Fatalf("%d cells", len(cells))
	}
	c := cells[0]
	if c.Day != "2026-05-01" || c.User != alice || c.Requests != 2 || c.Tokens() != 116 || c.CostNanos != 1500 {
		t.Errorf("cell = %+v", c)
	}
	if cells[1].User != "=cmd" || cells[1].Model != "-model" || cells[1].UnknownCost != 1 {
		t.Errorf("formula guard not undone: %+v", cells[1])
	}
	for _, bad := range []string{"date,user\n", "date,user,model,requests,input_tokens,output_tokens,cost_nanodollars\nd,u,m,x,1,1,1\n"} {
		if _, err := parseUsageCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
	if cells, err := parseUsageCSV(strings.NewReader("")); err != nil || cells != nil {
		t.Errorf("empty: %v %v", cells, err)
	}
}

func TestParseRange(t *testing.T) {
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
	cells := []usageCell{
		{Day: "d1", User: "a", Model: "m1", Requests: 1, Input: 10, CostNanos: 5},
		{Day: "d2", User: "a", Model: "m2", Requests: 1, Input: 100},
		{Day: "d2", User: "b", Model: "m1", Requests: 2, Input: 10, UnknownCost: 1},
	}
	byModel := totalsBy(cells, func(c usageCell) string { return c.Model })
	if len(byModel) != 2 || byModel[0].Key != "m2" || byModel[1].Users != 2 || byModel[1].Requests != 3 || byModel[1].UnknownCost != 1 {
		t.Errorf("by model = %+v", byModel)
	}
	byUser := totalsBy(cells, func(c usageCell) string { return c.User })
	if byUser[0].Key != "a" || byUser[0].ActiveDays != 2 || byUser[0].CostNanos != 5 {
		t.Errorf("by user = %+v", byUser)
	}
	if all := sumAll(cells); all.Requests != 4 || all.Tokens != 120 {
		t.Errorf("all = %+v", all)
	}
}
