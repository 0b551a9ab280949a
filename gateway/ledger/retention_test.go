package ledger

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestPurgeCaptures(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	tests := []struct {
		name     string
		ret      *config.Retention
		exported []string
		// captures made at t0 (old) and t0+20d (young); purge at t0+31d.
		wantLeft []string
	}{
		{"forever keeps all", &config.Retention{Forever: true, Purge: []string{"captures"}}, nil, []string{"old", "young"}},
		{"nil keeps all", nil, nil, []string{"old", "young"}},
		{"30d purges old", &config.Retention{Duration: "30d", Period: 30 * day, Purge: []string{"captures"}}, nil, []string{"young"}},
		{"purge list without captures keeps them", &config.Retention{Duration: "30d", Period: 30 * day, Purge: []string{"tools"}}, nil, []string{"old", "young"}},
		{"require_export keeps unexported", &config.Retention{Duration: "30d", Period: 30 * day, RequireExport: true,
			Purge: []string{"captures"}}, nil, []string{"old", "young"}},
		{"require_export purges exported", &config.Retention{Duration: "30d", Period: 30 * day, RequireExport: true,
			Purge: []string{"captures"}}, []string{"old", "young"}, []string{"young"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock(baseTime)
			l, path := openTest(t, Options{Now: clock.Now})
			for _, id := range []string{"old", "young"} {
				r := record(0)
				r.ID = id
				r.Capture = &Capture{RequestBody: []byte(id)}
				mustCommit(t, l, r)
				clock.Advance(20 * day)
			}
			if err := l.MarkExported(context.Background(), tt.exported); err != nil {
				t.Fatal(err)
			}
			clock.Advance(-9 * day) // now t0+31d
			l.SetRetention(tt.ret)
			n, err := l.PurgeCaptures(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := 2 - len(tt.wantLeft); int(n) != want {
				t.Errorf("purged %d, want %d", n, want)
			}
			for _, id := range []string{"old", "young"} {
				_, err := l.Capture(context.Background(), id)
				left := err == nil
				want := false
				for _, w := range tt.wantLeft {
					want = want || w == id
				}
				if left != want {
					t.Errorf("capture %s kept = %v, want %v (%v)", id, left, want, err)
				}
			}
			if got := countRows(t, path, "requests"); got != 2 {
				t.Errorf("%d metric rows after purge, want 2: metric rows are always kept", got)
			}
		})
	}
}

func TestPurgeManyChunks(t *testing.T) {
	t.Parallel()
	clock := newClock(baseTime)
	ret := &config.Retention{Duration: "1h", Period: time.Hour, Purge: []string{"captures"}}
	l, path := openTest(t, Options{Now: clock.Now, Retention: ret})
	const n = purgeChunk*2 + 7
	for i := range n {
		r := record(i)
		r.Capture = &Capture{ResponseBody: []byte("x")}
		if err := l.Enqueue(r); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, l, record(n)) // queue order: everything before is written
	clock.Advance(2 * time.Hour)
	got, err := l.PurgeCaptures(context.Background())
	if err != nil || got != n {
		t.Fatalf("PurgeCaptures = %d, %v; want %d", got, err, n)
	}
	if left := countRows(t, path, "captures"); left != 0 {
		t.Errorf("%d captures left", left)
	}
}

func TestPurgeLoopRuns(t *testing.T) {
	fakeClockTest(t)
	t.Parallel()
	// In a synctest bubble: the purge loop's ticker runs on the bubble's
	// clock, so one PurgeInterval passes at once, and synctest.Wait
	// returns once the loop has acted on the tick.
	synctest.Test(t, func(t *testing.T) {
		clock := newClock(baseTime)
		ret := &config.Retention{Duration: "1h", Period: time.Hour, Purge: []string{"captures"}}
		l, path := openTest(t, Options{Now: clock.Now, Retention: ret, PurgeInterval: time.Minute})
		synctest.Wait() // the loop's first purge, at start, is over
		r := record(1)
		r.Capture = &Capture{RequestBody: []byte("x")}
		mustCommit(t, l, r)
		clock.Advance(2 * time.Hour)
		synctest.Wait()
		if got := countRows(t, path, "captures"); got != 1 {
			t.Fatalf("%d captures before the next purge, want the 1 committed", got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := countRows(t, path, "captures"); got != 0 {
			t.Fatalf("%d captures left one PurgeInterval after they expired, want 0", got)
		}
	})
}
