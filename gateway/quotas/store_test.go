package quotas

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestPersistenceRoundTrip(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &memStore{}
	daily, team := quota(t, "daily:<user>", "$10", "$5/day"), quota(t, "team", "$100", "$100/month")
	m1, err := New(store, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	m1.Configure(defs(daily, team))
	spend(t, m1, BucketRef{"daily:alice@example.com", daily.Name}, usd(t, "$6"))
	spend(t, m1, BucketRef{"team", "team"}, usd(t, "$40"))
	saved := c.Now()
	if err := m1.Flush(); err != nil {
		t.Fatal(err)
	}
	got, saves := store.snapshot()
	want := map[string]Balance{
		"daily:alice@example.com": {usd(t, "$4"), saved},
		"team":                    {usd(t, "$60"), saved},
	}
	if saves != 1 || len(got) != len(want) || got["team"] != want["team"] || got["daily:alice@example.com"] != want["daily:alice@example.com"] {
		t.Fatalf("saved %d times: %v", saves, got)
	}
	// Nothing changed: no write.
	if err := m1.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, saves := store.snapshot(); saves != 1 {
		t.Errorf("unchanged balances saved again (%d saves)", saves)
	}

	// A restart 12 hours later: balances come back, refilled for the
	// downtime, and are listed before anyone uses them.
	c.Advance(12 * time.Hour)
	m2, err := New(store, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	m2.Configure(defs(daily, team))
	views := m2.Balances(nil)
	if len(views) != 2 {
		t.Fatalf("after restart: %+v", views)
	}
	if got := balance(t, m2, "daily:alice@example.com"); got != usd(t, "$6.50") {
		t.Errorf("alice after restart = %d, want $6.50", got)
	}
	if got := balance(t, m2, "team"); got != usd(t, "$60")+team.Refill(12*time.Hour) {
		t.Errorf("team after restart = %d", got)
	}
	if views[0].Definition != daily.Name || views[1].Definition != "team" {
		t.Errorf("definitions after restart: %+v", views)
	}
}

func TestPersistenceAppliesConfigChanges(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &memStore{saved: map[string]Balance{
		"daily:alice": {usd(t, "$8"), c.Now()},
		"old:alice":   {usd(t, "$1"), c.Now()},
	}}
	m, err := New(store, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	// The capacity was lowered and old:<user> deleted while stopped.
	m.Configure(defs(quota(t, "daily:<user>", "$5", "$5/day")))
	if vs := m.Balances(nil); len(vs) != 1 || vs[0].Bucket != "daily:alice" || vs[0].BalanceNanos != usd(t, "$5") {
		t.Fatalf("after configure: %+v", vs)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.snapshot(); len(got) != 1 || got["daily:alice"].Nanos != usd(t, "$5") {
		t.Errorf("store after configure: %v", got)
	}
}

func TestFlushErrorRetries(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &memStore{}
	m, err := New(store, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	q := quota(t, "q", "$10", "$1/day")
	m.Configure(defs(q))
	spend(t, m, BucketRef{"q", "q"}, usd(t, "$1"))
	store.saveErr = errDisk
	if err := m.Flush(); !errors.Is(err, errDisk) {
		t.Fatalf("Flush = %v, want disk error", err)
	}
	store.saveErr = nil
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, saves := store.snapshot(); saves != 1 || got["q"].Nanos != usd(t, "$9") {
		t.Errorf("after retry: %v (%d saves)", got, saves)
	}
}

func TestNewLoadError(t *testing.T) {
	t.Parallel()
	if _, err := New(&memStore{loadErr: errDisk}, nil); !errors.Is(err, errDisk) {
		t.Errorf("New = %v, want load error", err)
	}
}

func TestRunSavesPeriodicallyAndOnShutdown(t *testing.T) {
	t.Parallel()
	// In a synctest bubble: Run's ticker runs on the bubble's clock, so
	// SaveInterval passes at once, and synctest.Wait returns once Run has
	// acted on the tick (or has nothing to do).
	synctest.Test(t, func(t *testing.T) {
		c := newClock()
		store := &memStore{}
		m, err := New(store, c.Now)
		if err != nil {
			t.Fatal(err)
		}
		m.Configure(defs(quota(t, "q", "$10", "$1/day")))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()

		spend(t, m, BucketRef{"q", "q"}, usd(t, "$1"))
		synctest.Wait()
		if _, saves := store.snapshot(); saves != 0 {
			t.Fatalf("%d saves before SaveInterval passed, want none", saves)
		}
		time.Sleep(SaveInterval)
		synctest.Wait()
		if got, saves := store.snapshot(); saves != 1 || got["q"].Nanos != usd(t, "$9") {
			t.Fatalf("one SaveInterval after a spend: %v (%d saves), want $9 saved once", got, saves)
		}

		spend(t, m, BucketRef{"q", "q"}, usd(t, "$1"))
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, _ := store.snapshot(); got["q"].Nanos != usd(t, "$8") {
			t.Errorf("after shutdown: %v", got)
		}
	})
}
