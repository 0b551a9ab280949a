package quotas

import (
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Before a save, an admin is told which balances the new definitions
// would drop or cut.
func TestChangeEffects(t *testing.T) {
	c := newClock()
	daily := quota(t, "daily:<user>", "$10", "$5/day")
	team := quota(t, "team", "$100", "$100/month")
	m := newManager(t, c, daily, team)
	for _, ref := range []BucketRef{{Name: "daily:alice", Def: "daily:<user>"}, {Name: "daily:bob", Def: "daily:<user>"}, {Name: "team", Def: "team"}} {
		r, err := m.Reserve([]BucketRef{ref}, usd(t, "$2"))
		if err != nil {
			t.Fatal(err)
		}
		r.Settle(usd(t, "$2"))
	}
	if got := m.ChangeEffects(map[string]*config.Quota{"daily:<user>": daily, "team": team}); len(got) != 0 {
		t.Errorf("unchanged config: %q", got)
	}
	lower := quota(t, "team", "$50", "$100/month")
	got := m.ChangeEffects(map[string]*config.Quota{"team": lower, "per-day:<user>": daily})
	want := []string{
		"quotas.daily:<user> is removed (or renamed): the balances of its 2 bucket(s) (daily:alice, daily:bob; $4.00 spent) are dropped",
		"quotas.team: capacity lowered to $50.00: 1 bucket(s) above it are cut to it",
	}
	if len(got) != len(want) {
		t.Fatalf("effects %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("effect %d = %q, want it to start %q", i, got[i], want[i])
		}
	}
	cal := &config.Quota{Name: "team", Capacity: usd(t, "$100"), Reset: config.ResetMonth, OnExceed: "reject"}
	if got := m.ChangeEffects(map[string]*config.Quota{"daily:<user>": daily, "team": cal}); len(got) != 1 || !strings.Contains(got[0], "per calendar month") {
		t.Errorf("rate to budget: %q", got)
	}
}
