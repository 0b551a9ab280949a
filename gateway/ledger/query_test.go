package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/usage"
)

func ptr[T any](v T) *T { return &v }

func TestRequestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		want Row
	}{
		{
			name: "user, known cost",
			rec:  *record(1),
			want: Row{
				ID: "req-000001", Time: baseTime.Add(time.Second), LoginName: "alice@example.com",
				Node: "laptop.tail.ts.net", Tags: []string{}, Provider: "anthropic",
				Model: "claude-sonnet-4-6", API: "anthropic_messages", Stream: true, Status: 200,
				DurationMS: 1500, TTFBMS: 250, InputTokens: 100, OutputTokens: 50, CachedTokens: 10,
				CacheCreationTokens: 5, ReasoningTokens: 7, CostNanos: ptr(int64(1234)), SessionID: "sess-1",
			},
		},
		{
			name: "tagged device, unknown cost is null",
			rec: Record{
				ID: "req-tagged", Time: baseTime, NodeName: "ci-runner", Tags: []string{"tag:ci", "tag:prod"},
				Principal: "tag:ci,tag:prod", Provider: "openai", Model: "gpt-5", API: config.OpenAIResponses,
				Status: 502, Usage: usage.Usage{InputTokens: 3}, CostKnown: false, CostNanos: 999,
				Interrupted: true, Error: "upstream reset",
			},
			want: Row{
				ID: "req-tagged", Time: baseTime, Node: "ci-runner", Tags: []string{"tag:ci", "tag:prod"},
				Provider: "openai", Model: "gpt-5", API: "openai_responses", Status: 502, InputTokens: 3,
				CostNanos: nil, Interrupted: true,
			},
		},
		{
			name: "known zero cost is 0, not null",
			rec:  Record{ID: "req-free", Time: baseTime, Principal: "(loopback)", Model: "llama", CostKnown: true},
			want: Row{ID: "req-free", Time: baseTime, Tags: []string{}, Model: "llama", CostNanos: ptr(int64(0))},
		},
		{
			name: "interrupted usage marks the row interrupted",
			rec:  Record{ID: "req-cut", Time: baseTime, Usage: usage.Usage{OutputTokens: 9, Interrupted: true}},
			want: Row{ID: "req-cut", Time: baseTime, Tags: []string{}, OutputTokens: 9, Interrupted: true},
		},
		{
			name: "estimated counts and unpriced components",
			rec: Record{ID: "req-est", Time: baseTime, CostKnown: true, CostNanos: 5, Unpriced: "web_search,audio_input",
				Usage: usage.Usage{InputTokens: 4, OutputTokens: 5000, Interrupted: true, Estimated: true}},
			want: Row{ID: "req-est", Time: baseTime, Tags: []string{}, InputTokens: 4, OutputTokens: 5000,
				CostNanos: ptr(int64(5)), Interrupted: true, Estimated: true, Unpriced: "web_search,audio_input"},
		},
		{
			name: "a shared device's local user",
			rec: Record{ID: "req-shared", Time: baseTime, NodeName: "lab", Tags: []string{"tag:lab"},
				Principal: "tag:lab", LocalUser: "alice"},
			want: Row{ID: "req-shared", Time: baseTime, Node: "lab", Tags: []string{"tag:lab"}, LocalUser: "alice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := openTest(t, Options{})
			mustCommit(t, l, &tt.rec)
			rows, err := l.Requests(context.Background(), Query{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			if !reflect.DeepEqual(rows[0], tt.want) {
				t.Errorf("row =\n%+v\nwant\n%+v", rows[0], tt.want)
			}
			if rows[0].Time.Location() != time.UTC {
				t.Errorf("time not in UTC: %v", rows[0].Time)
			}
		})
	}
}

func TestRowJSON(t *testing.T) {
	r := Row{ID: "x", Time: baseTime, Tags: []string{}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"api", "cache_creation_tokens", "cached_tokens", "cost_nanodollars", "duration_ms",
		"estimated", "id", "input_tokens", "interrupted", "login_name", "model", "node", "output_tokens", "provider",
		"reasoning_tokens", "session_id", "status", "stream", "tags", "time", "ttfb_ms", "unpriced"}
	if !slices.Equal(keys, want) {
		t.Errorf("JSON keys = %v, want %v", keys, want)
	}
	if m["estimated"] != false || m["unpriced"] != "" {
		t.Errorf("estimated, unpriced = %#v, %#v; want false, \"\"", m["estimated"], m["unpriced"])
	}
	if m["cost_nanodollars"] != nil {
		t.Errorf("unknown cost = %v, want null", m["cost_nanodollars"])
	}
	if m["time"] != "2026-03-14T15:09:26.535897932Z" {
		t.Errorf("time = %v, want RFC 3339 with nanoseconds", m["time"])
	}
	if tags, ok := m["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("tags = %#v, want []", m["tags"])
	}
}

func TestRequestsFiltersAndPaging(t *testing.T) {
	l, _ := openTest(t, Options{})
	// 10 rows: even ones bob's on gpt-5, odd ones alice's on claude.
	// Rows 4 and 5 share a timestamp to exercise the ID tie-break.
	for i := range 10 {
		r := record(i)
		if i == 5 {
			r.Time = record(4).Time
		}
		if i%2 == 0 {
			r.Principal, r.LoginName, r.Model, r.SessionID = "bob@example.com", "bob@example.com", "gpt-5", "s-bob"
		}
		mustCommit(t, l, r)
	}
	ids := func(rows []Row) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.ID[len("req-0000"):])
		}
		return out
	}
	ctx := context.Background()
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"all newest first", Query{}, []string{"09", "08", "07", "06", "05", "04", "03", "02", "01", "00"}},
		{"limit", Query{Limit: 3}, []string{"09", "08", "07"}},
		{"principal", Query{Principal: "bob@example.com"}, []string{"08", "06", "04", "02", "00"}},
		{"model", Query{Model: "claude-sonnet-4-6", Limit: 2}, []string{"09", "07"}},
		{"session", Query{SessionID: "s-bob", Limit: 1}, []string{"08"}},
		{"from inclusive to exclusive", Query{From: record(2).Time, To: record(6).Time}, []string{"05", "04", "03", "02"}},
		{"before id with a time tie", Query{Before: "req-000005", Limit: 3}, []string{"04", "03", "02"}},
		{"before id in a tie, other side", Query{Before: "req-000006", Limit: 3}, []string{"05", "04", "03"}},
		{"before time", Query{Before: record(3).Time.Format(time.RFC3339Nano)}, []string{"02", "01", "00"}},
		{"before and principal", Query{Before: "req-000006", Principal: "alice@example.com"}, []string{"05", "03", "01"}},
		{"nothing", Query{Principal: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := l.Requests(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if rows == nil {
				t.Error("Requests returned nil, want an empty slice (JSON [])")
			}
			if got := ids(rows); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
		})
	}
	// Paging through everything visits every row once.
	var seen []string
	q := Query{Limit: 3}
	for {
		rows, err := l.Requests(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		seen = append(seen, ids(rows)...)
		q.Before = rows[len(rows)-1].ID
	}
	if want := []string{"09", "08", "07", "06", "05", "04", "03", "02", "01", "00"}; !slices.Equal(seen, want) {
		t.Errorf("paging visited %v, want %v", seen, want)
	}
	if _, err := l.Requests(ctx, Query{Before: "no-such-id"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown cursor = %v, want ErrNotFound", err)
	}
}
