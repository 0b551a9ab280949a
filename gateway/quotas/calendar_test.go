package quotas

import (
	"errors"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// budget is a calendar budget definition: capacity, full again at the
// start of each reset period.
func budget(t testing.TB, name, capacity, reset string) *config.Quota {
	t.Helper()
	return &config.Quota{Name: name, Capacity: usd(t, capacity), Reset: reset, OnExceed: "reject"}
}

// A "$50 per calendar month" budget lets $50 go in a month, not the $100 a
// "$50/month" refill rate lets through in the first one: spent on the
// 31st, it is empty until the 1st, then full.
func TestCalendarBudgetResetsOnTheFirst(t *testing.T) {
	c := newClock()
	c.Advance(30*24*time.Hour + 23*time.Hour) // 2026-01-31 23:00 UTC
	m := newManager(t, c, budget(t, "team", "$50", config.ResetMonth))
	refs := []BucketRef{{Name: "team", Def: "team"}}
	r, err := m.Reserve(refs, usd(t, "$50"))
	if err != nil {
		t.Fatal(err)
	}
	r.Settle(usd(t, "$50"))
	c.Advance(30 * time.Minute) // 23:30, still January
	_, err = m.Reserve(refs, usd(t, "$1"))
	var ex *ExceededError
	if !errors.As(err, &ex) || ex.RetryAfter != 30*time.Minute {
		t.Fatalf("spent budget: %v, want refused until the 1st (30m)", err)
	}
	// The caller is told when, not a refill rate the budget does not have.
	if want := `quota "team" is exhausted (balance $0.00); it resets each month, try again in 30m0s`; ex.Message != want {
		t.Errorf("message %q, want %q", ex.Message, want)
	}
	if v := m.Balances(nil)[0]; v.FullAt != time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) || v.Rate != "$50.00 per calendar month (UTC)" {
		t.Errorf("view %+v, want full at Feb 1 and the budget described", v)
	}
	c.Advance(30 * time.Minute) // 2026-02-01 00:00
	if b := m.Balances(nil)[0].BalanceNanos; b != usd(t, "$50") {
		t.Errorf("balance on the 1st = %d, want full", b)
	}
	// A refill rate would have refilled by now: a month of days at
	// $50/30 days; the budget gives nothing more within the month.
	r, err = m.Reserve(refs, usd(t, "$50"))
	if err != nil {
		t.Fatal(err)
	}
	r.Settle(usd(t, "$50"))
	c.Advance(27 * 24 * time.Hour) // Feb 28
	if b := m.Balances(nil)[0].BalanceNanos; b != 0 {
		t.Errorf("balance late in February = %d, want 0 until March", b)
	}
}

// A request in flight across the reset pays out of the new period, and
// its unused hold comes back: nothing is spent twice nor lost.
func TestCalendarBudgetHoldAcrossReset(t *testing.T) {
	c := newClock()
	c.Advance(-time.Minute) // 2025-12-31 23:59
	m := newManager(t, c, budget(t, "team", "$10", config.ResetDay))
	refs := []BucketRef{{Name: "team", Def: "team"}}
	spent, _ := m.Reserve(refs, usd(t, "$6"))
	spent.Settle(usd(t, "$6"))
	r, err := m.Reserve(refs, usd(t, "$4"))
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Minute) // the next day
	if b := m.Balances(nil)[0].BalanceNanos; b != usd(t, "$6") {
		t.Errorf("balance after the reset with $4 held = %d, want $6", b)
	}
	r.Settle(usd(t, "$1"))
	if b := m.Balances(nil)[0].BalanceNanos; b != usd(t, "$9") {
		t.Errorf("balance after settling $1 = %d, want $9", b)
	}
}
