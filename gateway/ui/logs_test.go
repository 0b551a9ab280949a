package ui

import (
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

func TestLogs(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	tests := []struct {
		name, viewer, path string
		status             int
		in, out            []string
	}{
		{"admin sees everyone", "alice", "/ui/logs", 200,
			[]string{"sess-alice", "sess-bob", "alice@example.com", "bob@example.com", "Requests without a session", "<td>tag:ci</td>", "gpt-4o</td>"},
			nil},
		{"user sees own", "bob", "/ui/logs", 200,
			[]string{"sess-bob", "gpt-4o-mini", "2 requests"},
			[]string{"sess-alice", "claude-sonnet-4-5", "Requests without a session", `name="user"`}},
		{"user asks for another", "bob", "/ui/logs?user=alice%40example.com", 403, []string{"only see your own"}, []string{"sess-alice"}},
		{"admin filters user", "alice", "/ui/logs?user=bob%40example.com", 200, []string{"sess-bob"}, []string{"sess-alice"}},
		{"model filter", "alice", "/ui/logs?model=gpt-4o-mini", 200, []string{"sess-bob"}, []string{"sess-alice", "claude-sonnet-4-5</td>"}},
		{"date filter", "alice", "/ui/logs?from=2026-05-07&to=2026-05-07", 200,
			[]string{"sess-bob", "1 requests"}, []string{"sess-alice"}},
		{"one session", "alice", "/ui/logs?session=sess-alice", 200,
			[]string{"Session <code>sess-alice</code>", "claude-sonnet-4-5</td>"}, []string{"gpt-4o-mini</td>"}},
		{"user cannot open another's session", "bob", "/ui/logs?session=sess-alice", 200,
			[]string{"No requests of this session match"}, []string{"claude-sonnet-4-5</td>"}},
		{"bad date", "bob", "/ui/logs?from=yesterday", 400, []string{"start date must look like"}, nil},
		{"empty", "carol", "/ui/logs", 200, []string{"No requests match", "Point a client at <code>http://ai</code>", "/ui/connect"}, nil},
		{"empty after filter", "bob", "/ui/logs?from=2020-01-01&to=2020-01-02", 200, []string{"Clear the filters"}, []string{"sess-bob"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.get(t, tt.viewer, tt.path)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			want(t, body, tt.in, tt.out)
		})
	}
}

func TestSessionsOf(t *testing.T) {
	t.Parallel()
	c1, c2 := int64(10), int64(5)
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	rows := []ledger.Row{
		{ID: "1", Time: t0, LoginName: alice, SessionID: "s", InputTokens: 10, OutputTokens: 1, CostNanos: &c1},
		{ID: "2", Time: t0.Add(time.Minute), LoginName: alice, SessionID: "s", InputTokens: 20, OutputTokens: 2, CostNanos: &c2},
		{ID: "3", Time: t0.Add(2 * time.Minute), LoginName: bob, SessionID: "s", InputTokens: 1},
		{ID: "4", Time: t0, LoginName: bob},
	}
	got := sessionsOf(rows)
	if len(got) != 2 {
		t.Fatalf("got %d sessions, want 2 (same ID, two principals): %+v", len(got), got)
	}
	if got[0].Principal != bob || got[0].UnknownCostRequests != 1 {
		t.Errorf("most recent first: %+v", got[0])
	}
	a := got[1]
	if a.Requests != 2 || a.Tokens != 33 || a.CostNanos != 15 || !a.First.Equal(t0) || !a.Last.Equal(t0.Add(time.Minute)) {
		t.Errorf("alice's session = %+v", a)
	}
}

func TestRowPrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		row  ledger.Row
		want string
	}{
		{ledger.Row{LoginName: alice, Node: "laptop"}, alice},
		{ledger.Row{Tags: []string{"tag:ci", "tag:prod"}, Node: "runner"}, "tag:ci,tag:prod"},
		{ledger.Row{Node: "(loopback)"}, "(loopback)"},
	}
	for _, tt := range tests {
		if got := rowPrincipal(tt.row); got != tt.want {
			t.Errorf("rowPrincipal(%+v) = %q, want %q", tt.row, got, tt.want)
		}
	}
}

func TestDateFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to         string
		wantFrom, wantTo string
		bad              bool
	}{
		{"", "", "", "", false},
		{"2026-05-01", "2026-05-01", "2026-05-01", "2026-05-02", false},
		{"2026-05-03", "2026-05-01", "", "", true},
		{"May 1", "", "", "", true},
		{"", "31/12/2026", "", "", true},
	}
	for _, tt := range tests {
		from, to, msg := dateFilter(tt.from, tt.to)
		if (msg != "") != tt.bad {
			t.Errorf("dateFilter(%q, %q) message %q", tt.from, tt.to, msg)
			continue
		}
		if tt.bad {
			continue
		}
		fmtDay := func(x time.Time) string {
			if x.IsZero() {
				return ""
			}
			return x.Format("2006-01-02")
		}
		if fmtDay(from) != tt.wantFrom || fmtDay(to) != tt.wantTo {
			t.Errorf("dateFilter(%q, %q) = %v, %v", tt.from, tt.to, from, to)
		}
	}
}
