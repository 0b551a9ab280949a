package quotas

import (
	"context"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// A hold released by the sweeper in one calendar period and settled late
// in the next must not refund the old period's money into the new one,
// which the release let start full: it would admit more than its
// capacity. (In memory, and in the shared mode without a release, the
// reset starts the new period with the hold taken out, and the refund
// only restores it.) Found by review; fails without the rule.
func TestSharedCalendarReleasedHoldRefundsNotIntoNextPeriod(t *testing.T) {
	c := newClock()
	c.Advance(-time.Minute) // 2025-12-31 23:59
	ms := newSharedManagers(t, c, 2, budget(t, "team", "$10", config.ResetDay))
	a, b := ms[0], ms[1]
	refs := []BucketRef{{Name: "team", Def: "team"}}

	h, err := a.Reserve(refs, usd(t, "$10")) // replica A's request, all of today's budget
	if err != nil {
		t.Fatal(err)
	}
	// A cannot renew for HoldTimeout (a network blip); B's sweeper releases it.
	if _, err := b.shared.db.Exec(`UPDATE quota_holds SET renewed = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	if rel, err := b.shared.sweep(context.Background()); err != nil || len(rel) != 1 {
		t.Fatalf("sweep: %v %v", rel, err)
	}

	c.Advance(2 * time.Minute) // the next day: $10 to spend
	var admitted int64
	r1, err := b.Reserve(refs, usd(t, "$10"))
	if err != nil {
		t.Fatal(err)
	}
	admitted += usd(t, "$10")
	r1.Settle(usd(t, "$10"))

	h.Settle(0) // A's request comes back late: it spent nothing

	if r2, err := b.Reserve(refs, usd(t, "$10")); err == nil {
		admitted += usd(t, "$10")
		r2.Settle(usd(t, "$10"))
	}
	if admitted > usd(t, "$10") {
		t.Errorf("the new day admitted and charged %s of a $10 daily budget", FormatDollars(admitted))
	}
}
