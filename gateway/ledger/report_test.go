package ledger

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/usage"
)

// seedUsage commits a small known data set over two days. Rows a2 and b1
// are estimated; a1 and a2 have cost components the gateway could not
// price.
func seedUsage(t *testing.T, l *Ledger) {
	t.Helper()
	day1 := time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC)
	day2 := day1.Add(2 * time.Hour) // 2026-05-02 01:00 UTC
	rows := []Record{
		{ID: "a1", Time: day1, Principal: "alice", Model: "m1", SessionID: "s1",
			Usage:     usage.Usage{InputTokens: 10, OutputTokens: 1, CachedTokens: 100, CacheCreationTokens: 1000, ReasoningTokens: 1},
			CostNanos: 1_500_000_000, CostKnown: true, Unpriced: "web_search,audio_input"},
		{ID: "a2", Time: day2, Principal: "alice", Model: "m1", SessionID: "s1",
			Usage: usage.Usage{InputTokens: 20, OutputTokens: 2, Estimated: true}, CostNanos: 1, CostKnown: true,
			Unpriced: "web_search"},
		{ID: "a3", Time: day2, Principal: "alice", Model: "=m2", // unknown cost
			Usage: usage.Usage{InputTokens: 30, OutputTokens: 3}},
		{ID: "b1", Time: day2.Add(time.Minute), Principal: "bob", Model: "m1", SessionID: "s1",
			Usage: usage.Usage{InputTokens: 40, OutputTokens: 4, Estimated: true}, CostNanos: 7, CostKnown: true},
	}
	for i := range rows {
		mustCommit(t, l, &rows[i])
	}
}

func TestUsage(t *testing.T) {
	l, _ := openTest(t, Options{})
	seedUsage(t, l)
	day2 := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		q    UsageQuery
		want []UsageRow
	}{
		{"by user", UsageQuery{GroupBy: GroupByUser}, []UsageRow{
			{Key: "alice", UsageTotals: UsageTotals{Requests: 3, InputTokens: 60, OutputTokens: 6, CachedTokens: 100, CacheCreationTokens: 1000,
				ReasoningTokens: 1, CostNanos: 1_500_000_001, UnknownCostRequests: 1,
				EstimatedRequests: 1, UnpricedRequests: 2, Unpriced: "audio_input,web_search"}},
			{Key: "bob", UsageTotals: UsageTotals{Requests: 1, InputTokens: 40, OutputTokens: 4, CostNanos: 7, EstimatedRequests: 1}},
		}},
		{"by model", UsageQuery{GroupBy: GroupByModel}, []UsageRow{
			{Key: "=m2", UsageTotals: UsageTotals{Requests: 1, InputTokens: 30, OutputTokens: 3, UnknownCostRequests: 1}},
			{Key: "m1", UsageTotals: UsageTotals{Requests: 3, InputTokens: 70, OutputTokens: 7, CachedTokens: 100, CacheCreationTokens: 1000,
				ReasoningTokens: 1, CostNanos: 1_500_000_008,
				EstimatedRequests: 2, UnpricedRequests: 2, Unpriced: "audio_input,web_search"}},
		}},
		{"by UTC day", UsageQuery{GroupBy: GroupByDay}, []UsageRow{
			{Key: "2026-05-01", UsageTotals: UsageTotals{Requests: 1, InputTokens: 10, OutputTokens: 1, CachedTokens: 100, CacheCreationTokens: 1000,
				ReasoningTokens: 1, CostNanos: 1_500_000_000, UnpricedRequests: 1, Unpriced: "audio_input,web_search"}},
			{Key: "2026-05-02", UsageTotals: UsageTotals{Requests: 3, InputTokens: 90, OutputTokens: 9, CostNanos: 8, UnknownCostRequests: 1,
				EstimatedRequests: 2, UnpricedRequests: 1, Unpriced: "web_search"}},
		}},
		{"one principal", UsageQuery{GroupBy: GroupByModel, Principal: "bob"}, []UsageRow{
			{Key: "m1", UsageTotals: UsageTotals{Requests: 1, InputTokens: 40, OutputTokens: 4, CostNanos: 7, EstimatedRequests: 1}},
		}},
		{"time range", UsageQuery{GroupBy: GroupByUser, From: day2, To: day2.Add(time.Hour + time.Minute)}, []UsageRow{
			{Key: "alice", UsageTotals: UsageTotals{Requests: 2, InputTokens: 50, OutputTokens: 5, CostNanos: 1, UnknownCostRequests: 1,
				EstimatedRequests: 1, UnpricedRequests: 1, Unpriced: "web_search"}},
		}},
		{"empty", UsageQuery{GroupBy: GroupByUser, Principal: "nobody"}, []UsageRow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Usage(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Usage =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	if _, err := l.Usage(context.Background(), UsageQuery{GroupBy: "week"}); err == nil {
		t.Error("unknown grouping accepted")
	}
}

func TestUsageCSV(t *testing.T) {
	l, _ := openTest(t, Options{})
	seedUsage(t, l)
	tests := []struct {
		name      string
		principal string
		want      string
	}{
		{"everyone", "", `date,user,model,requests,input_tokens,output_tokens,cached_tokens,cache_creation_tokens,reasoning_tokens,cost_nanodollars,cost_usd,unknown_cost_requests,estimated_requests,unpriced_requests,unpriced
2026-05-01,alice,m1,1,10,1,100,1000,1,1500000000,1.5,0,0,1,"audio_input,web_search"
2026-05-02,alice,'=m2,1,30,3,0,0,0,0,0,1,0,0,
2026-05-02,alice,m1,1,20,2,0,0,0,1,0.000000001,0,1,1,web_search
2026-05-02,bob,m1,1,40,4,0,0,0,7,0.000000007,0,1,0,
`},
		{"bob", "bob", `date,user,model,requests,input_tokens,output_tokens,cached_tokens,cache_creation_tokens,reasoning_tokens,cost_nanodollars,cost_usd,unknown_cost_requests,estimated_requests,unpriced_requests,unpriced
2026-05-02,bob,m1,1,40,4,0,0,0,7,0.000000007,0,1,0,
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := l.UsageCSV(context.Background(), &buf, time.Time{}, time.Time{}, tt.principal); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("CSV =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestUsageCells checks the typed per-day, per-user, per-model sums the
// dashboard reads: names exactly as stored (no spreadsheet guard, which
// belongs to the CSV), and the same totals the CSV writes.
func TestUsageCells(t *testing.T) {
	l, _ := openTest(t, Options{})
	seedUsage(t, l)
	day := time.Date(2026, 5, 3, 12, 0, 0, 0, time.UTC)
	mustCommit(t, l, &Record{ID: "c1", Time: day, Principal: "'=carol", Model: "'=x",
		Usage: usage.Usage{InputTokens: 5, OutputTokens: 5}, CostNanos: 2, CostKnown: true})
	cell := func(d, p, m string, t UsageTotals) UsageCell {
		return UsageCell{Day: d, Principal: p, Model: m, UsageTotals: t}
	}
	tests := []struct {
		name      string
		from, to  time.Time
		principal string
		want      []UsageCell
	}{
		{"everyone", time.Time{}, time.Time{}, "", []UsageCell{
			cell("2026-05-01", "alice", "m1", UsageTotals{Requests: 1, InputTokens: 10, OutputTokens: 1, CachedTokens: 100,
				CacheCreationTokens: 1000, ReasoningTokens: 1, CostNanos: 1_500_000_000, UnpricedRequests: 1, Unpriced: "audio_input,web_search"}),
			cell("2026-05-02", "alice", "=m2", UsageTotals{Requests: 1, InputTokens: 30, OutputTokens: 3, UnknownCostRequests: 1}),
			cell("2026-05-02", "alice", "m1", UsageTotals{Requests: 1, InputTokens: 20, OutputTokens: 2, CostNanos: 1,
				EstimatedRequests: 1, UnpricedRequests: 1, Unpriced: "web_search"}),
			cell("2026-05-02", "bob", "m1", UsageTotals{Requests: 1, InputTokens: 40, OutputTokens: 4, CostNanos: 7, EstimatedRequests: 1}),
			cell("2026-05-03", "'=carol", "'=x", UsageTotals{Requests: 1, InputTokens: 5, OutputTokens: 5, CostNanos: 2}),
		}},
		{"one principal", time.Time{}, time.Time{}, "'=carol", []UsageCell{
			cell("2026-05-03", "'=carol", "'=x", UsageTotals{Requests: 1, InputTokens: 5, OutputTokens: 5, CostNanos: 2}),
		}},
		{"time range", day.Add(-time.Hour), day.Add(time.Hour), "", []UsageCell{
			cell("2026-05-03", "'=carol", "'=x", UsageTotals{Requests: 1, InputTokens: 5, OutputTokens: 5, CostNanos: 2}),
		}},
		{"empty", time.Time{}, time.Time{}, "nobody", []UsageCell{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.UsageCells(context.Background(), tt.from, tt.to, tt.principal)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UsageCells =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	var buf bytes.Buffer
	if err := l.UsageCSV(context.Background(), &buf, day.Add(-time.Hour), time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	if want := "\n2026-05-03,'=carol,'=x,1,5,5,0,0,0,2,0.000000002,0,0,0,\n"; !strings.HasSuffix(buf.String(), want) {
		t.Errorf("CSV line of a quote-led name = %q, want %q", buf.String(), want)
	}
}

func TestCSVText(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "gpt-5": "gpt-5", "=HYPERLINK()": "'=HYPERLINK()", "+1": "'+1", "-x": "'-x", "@a": "'@a",
	} {
		if got := csvText(in); got != want {
			t.Errorf("csvText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessions(t *testing.T) {
	l, _ := openTest(t, Options{})
	seedUsage(t, l)
	day1 := time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC)
	alice := SessionRow{SessionID: "s1", Principal: "alice", First: day1, Last: day1.Add(2 * time.Hour), Tokens: 1133,
		UsageTotals: UsageTotals{Requests: 2, InputTokens: 30, OutputTokens: 3, CachedTokens: 100, CacheCreationTokens: 1000,
			ReasoningTokens: 1, CostNanos: 1_500_000_001, EstimatedRequests: 1, UnpricedRequests: 2, Unpriced: "audio_input,web_search"}}
	bob := SessionRow{SessionID: "s1", Principal: "bob", First: day1.Add(2*time.Hour + time.Minute),
		Last: day1.Add(2*time.Hour + time.Minute), Tokens: 44,
		UsageTotals: UsageTotals{Requests: 1, InputTokens: 40, OutputTokens: 4, CostNanos: 7, EstimatedRequests: 1}}
	tests := []struct {
		name string
		q    SessionQuery
		want []SessionRow
	}{
		{"all, latest first, per principal, no empty session", SessionQuery{}, []SessionRow{bob, alice}},
		{"one principal", SessionQuery{Principal: "alice"}, []SessionRow{alice}},
		{"limit", SessionQuery{Limit: 1}, []SessionRow{bob}},
		{"none", SessionQuery{Principal: "carol"}, []SessionRow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Sessions(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sessions =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestMergeUnpriced(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"web_search":                        "web_search",
		"web_search,audio_input,web_search": "audio_input,web_search",
		",web_search,,audio_input":          "audio_input,web_search",
		"web_search, audio_input":           "audio_input,web_search",
	} {
		if got := mergeUnpriced(in); got != want {
			t.Errorf("mergeUnpriced(%q) = %q, want %q", in, got, want)
		}
	}
}
