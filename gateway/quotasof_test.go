package gateway

import (
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// TestQuotasOfFollowsTemplates checks an admin looking at a user's
// dashboard sees the buckets the quota templates name for that user,
// wherever a template puts <user>, and no one else's. (Matching a name
// ending in ":"+user missed "<user>-daily" and "pair:<user>:<node>".)
func TestQuotasOfFollowsTemplates(t *testing.T) {
	q := func(name string) *config.Quota {
		return &config.Quota{Name: name, Capacity: 10e9, Rate: "$1/day", RateNanos: 1e9, RatePeriod: 24 * time.Hour, OnExceed: "reject"}
	}
	qm, err := quotas.New(nil, func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	qm.Configure(map[string]*config.Quota{"daily:<user>": q("daily:<user>"), "<user>-weekly": q("<user>-weekly"),
		"pair:<user>:<node>": q("pair:<user>:<node>"), "node:<node>": q("node:<node>")})
	for _, ref := range []quotas.BucketRef{
		{Name: "daily:alice@example.com", Def: "daily:<user>"},
		{Name: "daily:bob@example.com", Def: "daily:<user>"},
		{Name: "alice@example.com-weekly", Def: "<user>-weekly"},
		{Name: "pair:alice@example.com:nLAPTOP", Def: "pair:<user>:<node>"},
		{Name: "node:nLAPTOP", Def: "node:<node>"},
	} {
		res, err := qm.Reserve([]quotas.BucketRef{ref}, 1)
		if err != nil {
			t.Fatal(err)
		}
		res.Release()
	}
	u := uiSource{&Server{opts: Options{Quotas: qm}}}
	var got []string
	for _, v := range u.QuotasOf("alice@example.com") {
		got = append(got, v.Bucket)
	}
	want := []string{"alice@example.com-weekly", "daily:alice@example.com", "pair:alice@example.com:nLAPTOP"}
	if len(got) != len(want) {
		t.Fatalf("QuotasOf(alice) = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("QuotasOf(alice) = %q, want %q", got, want)
		}
	}
}
