package replicas

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/tsplug/ts-plug/internal/pgtest"
)

// clock is a settable clock shared by the replicas of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func start(t *testing.T, db *sql.DB, c *clock, id string, seq int64, failure error) *Registry {
	t.Helper()
	r, err := New(db, Options{ID: id, Hostname: id + ".host", Version: "v1.2.3", Interval: time.Second, Now: c.now,
		Config: func() (int64, error) { return seq, failure }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestListAndStaleness: both replicas are listed with their config
// versions; one that stops beating turns stale after StaleAfter (three
// intervals) by the lister's clock, and is pruned after a day.
func TestListAndStaleness(t *testing.T) {
	db := open(t)
	c := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	a := start(t, db, c, "ai-1", 7, nil)
	c.advance(time.Second)
	b := start(t, db, c, "ai-2", 6, errors.New("environment variable B_KEY is not set"))

	c.advance(2 * time.Second)
	list, err := a.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("listed %d replicas, want 2: %+v", len(list), list)
	}
	if p := list[0]; p.ID != "ai-1" || !p.Self || p.Hostname != "ai-1.host" || p.Version != "v1.2.3" || p.ConfigSeq != 7 ||
		p.Age != 3*time.Second || p.Stale {
		t.Errorf("first: %+v", p)
	}
	if p := list[1]; p.ID != "ai-2" || p.Self || p.ConfigSeq != 6 || p.ConfigError != "environment variable B_KEY is not set" ||
		p.Age != 2*time.Second || p.Stale {
		t.Errorf("second: %+v", p)
	}

	// ai-2 goes silent; ai-1 keeps beating.
	c.advance(2 * time.Second) // ai-2's heartbeat is 4 s old: past 3 intervals
	if err := a.Beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, _ = a.List(context.Background())
	if list[0].Stale || list[0].Age != 0 || !list[1].Stale || list[1].Age != 4*time.Second {
		t.Errorf("after ai-2 went silent: %+v", list)
	}
	// Seen from ai-2's side the same: staleness is the heartbeat's age.
	if l, _ := b.List(context.Background()); !l[1].Stale || l[0].Stale {
		t.Errorf("listed by ai-2: %+v", l)
	}

	c.advance(DefaultPruneAfter)
	if err := a.Beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if list, _ = a.List(context.Background()); len(list) != 1 || list[0].ID != "ai-1" {
		t.Errorf("after a day: %+v", list)
	}
}

// TestRunLeaves: Run beats, and a replica stopped cleanly leaves the list.
func TestRunLeaves(t *testing.T) {
	db := open(t)
	c := &clock{t: time.Now()}
	a := start(t, db, c, "ai-1", 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	cancel()
	<-done
	if list, err := a.List(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("after a clean stop: %+v %v", list, err)
	}
}
