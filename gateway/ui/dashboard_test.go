package ui

import (
	"net/http"
	"strings"
	"testing"
)

func TestDashboard(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	tests := []struct {
		name, viewer, path string
		status             int
		in, out            []string
	}{
		{"admin own", "alice", "/ui/", 200,
			// 3 requests; 1000+2000+500 input + 200+300+50 output = 4,050 tokens; $0.00600+$0.0105+$0.00175
			[]string{"Your usage", ">3<", "4.1k", "$0.0183", "claude-sonnet-4-5", "gpt-4o", `<svg class="chart"`,
				"Open the dashboard of", `<option value="bob@example.com">`, "/ui/logs/"},
			[]string{"gpt-4o-mini", "Usage of"}},
		{"user own", "bob", "/ui/", 200,
			[]string{"Your usage", "gpt-4o-mini", "daily:bob@example.com", "$5.00/day", "<meter"},
			[]string{"claude-sonnet-4-5", "Open the dashboard of", "alice@example.com"}},
		{"user own by name", "bob", "/ui/dashboard/bob@example.com", 200, []string{"Your usage", "gpt-4o-mini"}, nil},
		{"user other", "bob", "/ui/dashboard/alice@example.com", 403,
			[]string{"only see your own"}, []string{"claude-sonnet-4-5"}},
		{"admin other", "alice", "/ui/dashboard/bob@example.com", 200,
			[]string{"Usage of bob@example.com", "gpt-4o-mini", "daily:bob@example.com", "?user=bob%40example.com"},
			[]string{"claude-sonnet-4-5"}},
		{"empty", "carol", "/ui/", 200,
			[]string{"No requests yet", "point a client at <code>http://ai</code>", `href="/ui/connect"`, "No spending limits apply"},
			[]string{`<svg class="chart"`}},
		{"range", "bob", "/ui/?days=7", 200, []string{`aria-current="true">7 days`}, nil},
		{"no role", "mallory", "/ui/", 403, []string{"Access denied: no role granted"}, nil},
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

func TestDashboardPick(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	req := newReq("alice", "/ui/dashboard?user=bob%40example.com")
	w := serve(f.h, req)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/ui/dashboard/bob@example.com" {
		t.Errorf("pick: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestDashboardRangeChart(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	// bob's older request is 3 days ago: in the 7-day chart, not in a
	// chart that only covered today.
	_, body := f.get(t, "bob", "/ui/?days=7")
	if n := strings.Count(body, "<rect x="); n != 4 {
		t.Errorf("7-day charts have %d bar segments, want 4 (two days with usage, tokens and cost)", n)
	}
	want(t, body, []string{"May 7 · gpt-4o-mini: 440", "May 10 · gpt-4o-mini: 330"}, nil)
}
