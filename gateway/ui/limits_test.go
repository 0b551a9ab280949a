package ui

import (
	"html"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// liveQuotaSource answers each page with a viewer whose buckets are read
// from a real quota manager at that moment, as the gateway's source does.
type liveQuotaSource struct {
	fakeSource
	viewer func() Viewer
}

func (s *liveQuotaSource) Viewer(*http.Request) (Viewer, error) { return s.viewer(), nil }

// testQuota builds a valid definition the way the config parser does.
func testQuota(t *testing.T, name, capacity, rate string) *config.Quota {
	t.Helper()
	c, err := config.ParseDollars(capacity)
	if err != nil {
		t.Fatal(err)
	}
	n, p, err := config.ParseRate(rate)
	if err != nil {
		t.Fatal(err)
	}
	return &config.Quota{Name: name, Capacity: c, Rate: rate, RateNanos: n, RatePeriod: p, OnExceed: "reject"}
}

// limitCards reads the dashboard's spending limits: bucket → term → the
// definition's text, tags stripped.
func limitCards(t *testing.T, body string) map[string]map[string]string {
	t.Helper()
	card := regexp.MustCompile(`(?s)<li class="card" data-bucket="([^"]*)">(.*?)</li>`)
	term := regexp.MustCompile(`(?s)<dt>(.*?)</dt><dd>(.*?)</dd>`)
	tag := regexp.MustCompile(`<[^>]*>`)
	text := func(s string) string {
		return strings.Join(strings.Fields(html.UnescapeString(tag.ReplaceAllString(s, ""))), " ")
	}
	out := map[string]map[string]string{}
	for _, c := range card.FindAllStringSubmatch(body, -1) {
		terms := map[string]string{}
		for _, d := range term.FindAllStringSubmatch(c[2], -1) {
			terms[text(d[1])] = text(d[2])
		}
		out[html.UnescapeString(c[1])] = terms
	}
	return out
}

// An admin's own dashboard shows every bucket their grants charge, with
// its balance, capacity, rate, the money requests in flight hold, when it
// is full again and which of their models it applies to.
func TestDashboardLimits(t *testing.T) {
	t.Parallel()
	const dave = "dave@example.com"
	daily := testQuota(t, "daily:<user>", "$10", "$5.00/day")
	team := testQuota(t, "team:sonnet", "$50", "$10.00/hour")
	once := testQuota(t, "grant:once", "$1", "$0.00/day")
	weekly := testQuota(t, "weekly:<user>", "$20", "$20.00/week")
	now := testNow
	qm, err := quotas.New(nil, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	qm.Configure(map[string]*config.Quota{daily.Name: daily, team.Name: team, once.Name: once, weekly.Name: weekly})
	dailyRef := quotas.BucketRef{Name: "daily:" + dave, Def: daily.Name}
	teamRef := quotas.BucketRef{Name: team.Name, Def: team.Name}
	onceRef := quotas.BucketRef{Name: once.Name, Def: once.Name}
	weeklyRef := quotas.BucketRef{Name: "weekly:" + dave, Def: weekly.Name}
	spend := func(ref quotas.BucketRef, nanos int64) {
		r, err := qm.Reserve([]quotas.BucketRef{ref}, nanos)
		if err != nil {
			t.Fatal(err)
		}
		r.Settle(nanos)
	}
	spend(dailyRef, 3e9)
	spend(onceRef, 250e6)
	inFlight, err := qm.Reserve([]quotas.BucketRef{teamRef}, 400e6)
	if err != nil {
		t.Fatal(err)
	}

	src := &liveQuotaSource{fakeSource: fakeSource{store: emptyStore(t),
		others: map[string][]quotas.BalanceView{bob: {bobQuota}}}}
	src.viewer = func() Viewer {
		sonnet, g := claude, gpt
		sonnet.Quotas = qm.Lookup([]quotas.BucketRef{dailyRef, teamRef, weeklyRef})
		g.Quotas = qm.Lookup([]quotas.BucketRef{dailyRef, onceRef, weeklyRef})
		return Viewer{Principal: dave, Admin: true, Models: []Model{sonnet, g},
			Quotas: qm.Lookup([]quotas.BucketRef{dailyRef, teamRef, onceRef, weeklyRef})}
	}
	h := New(src, func() time.Time { return now })
	get := func(path string) string {
		t.Helper()
		w := serve(h, newReq("dave", path))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d\n%s", path, w.Code, w.Body)
		}
		return w.Body.String()
	}
	check := func(body string, want map[string]map[string]string) {
		t.Helper()
		if got := limitCards(t, body); !reflect.DeepEqual(got, want) {
			t.Errorf("limits:\n got %v\nwant %v", got, want)
		}
	}
	every := "every model you may use"

	body := get("/ui/")
	check(body, map[string]map[string]string{
		// $3 short at $5/day: 14h24m.
		"daily:" + dave: {"Balance": "$7.00", "Capacity": "$10.00", "Refill rate": "$5.00/day", "In flight": "$0",
			"Full again": "in 14h 24m, 2026-05-11 02:24:00 UTC", "Applies to": every},
		// $0.40 held counts as spent: at $10/hour it refills in 144s.
		team.Name: {"Balance": "$49.60", "Capacity": "$50.00", "Refill rate": "$10.00/hour", "In flight": "$0.40",
			"Full again": "in 2m 24s, 2026-05-10 12:02:24 UTC", "Applies to": "claude-sonnet-4-5"},
		once.Name: {"Balance": "$0.75", "Capacity": "$1.00", "Refill rate": "$0.00/day", "In flight": "$0",
			"Full again": "never refills", "Applies to": "gpt-4o"},
		"weekly:" + dave: {"Balance": "$20.00", "Capacity": "$20.00", "Refill rate": "$20.00/week", "In flight": "$0",
			"Full again": "full", "Applies to": every},
	})
	want(t, body, []string{`<time datetime="2026-05-11T02:24:00Z">`, `aria-label="balance of team:sonnet"`}, nil)

	// The request ends having cost $0.30: nothing is held any more.
	inFlight.Settle(300e6)
	cards := limitCards(t, get("/ui/"))
	if got := cards[team.Name]; got["In flight"] != "$0" || got["Balance"] != "$49.70" ||
		got["Full again"] != "in 1m 48s, 2026-05-10 12:01:48 UTC" {
		t.Errorf("after the request settled: %v", got)
	}

	// Looking at another user's dashboard, an admin sees that user's
	// buckets, without claims about models that are not theirs.
	check(get("/ui/dashboard/"+bob), map[string]map[string]string{
		bobQuota.Bucket: {"Balance": "$4.00", "Capacity": "$10.00", "Refill rate": "$5.00/day", "In flight": "$0", "Full again": "full"},
	})
}

func TestLimitsModels(t *testing.T) {
	t.Parallel()
	a := quotas.BalanceView{Bucket: "a"}
	b := quotas.BalanceView{Bucket: "b"}
	c := quotas.BalanceView{Bucket: "c"}
	m1 := Model{ID: "m1", Quotas: []quotas.BalanceView{a, b}}
	m2 := Model{ID: "m2", Quotas: []quotas.BalanceView{a}}
	tests := []struct {
		name   string
		views  []quotas.BalanceView
		models []Model
		want   []limit
	}{
		{"every model", []quotas.BalanceView{a}, []Model{m1, m2}, []limit{{BalanceView: a, Models: []string{"m1", "m2"}, AllModels: true}}},
		{"some models", []quotas.BalanceView{b}, []Model{m1, m2}, []limit{{BalanceView: b, Models: []string{"m1"}}}},
		{"the only model is listed", []quotas.BalanceView{a}, []Model{m2}, []limit{{BalanceView: a, Models: []string{"m2"}}}},
		{"no model", []quotas.BalanceView{c}, []Model{m1, m2}, []limit{{BalanceView: c}}},
		{"models unknown", []quotas.BalanceView{a}, nil, []limit{{BalanceView: a}}},
	}
	for _, tt := range tests {
		if got := limits(tt.views, tt.models); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
