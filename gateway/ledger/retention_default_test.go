package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// TestDefaultRetentionPurgesCapturesOnly runs the retention of a config
// that says nothing about it: captures older than 30 days go, younger ones
// stay, and every metric row stays.
func TestDefaultRetentionPurgesCapturesOnly(t *testing.T) {
	cfg, _, err := config.Parse([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	clock := newClock(baseTime)
	l, path := openTest(t, Options{Now: clock.Now, Retention: &cfg.Database.Retention})
	for _, id := range []string{"old", "young"} {
		r := record(0)
		r.ID = id
		r.Capture = &Capture{RequestBody: []byte("prompt of " + id)}
		mustCommit(t, l, r)
		clock.Advance(20 * day)
	}
	clock.Advance(-9 * day) // now: old is 31 days old, young 11
	n, err := l.PurgeCaptures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("purged %d captures, want 1", n)
	}
	if _, err := l.Capture(context.Background(), "old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("31-day-old capture: %v, want it purged", err)
	}
	if _, err := l.Capture(context.Background(), "young"); err != nil {
		t.Errorf("11-day-old capture: %v, want it kept", err)
	}
	if got := countRows(t, path, "requests"); got != 2 {
		t.Errorf("%d metric rows after the purge, want 2: rows are never purged", got)
	}
}
