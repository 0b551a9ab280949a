package ledger

import (
	"context"
	"testing"
	"time"
)

func TestConfigHistory(t *testing.T) {
	clock := newClock(baseTime)
	l, _ := openTest(t, Options{Now: clock.Now})
	ctx := context.Background()
	for i, h := range []string{"h1", "h2", "h3"} {
		if err := l.RecordConfig(ctx, h, "admin@example.com", `{"n":`+string(rune('1'+i))+`}`); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	got, err := l.ConfigHistory(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Hash != "h3" || got[1].Hash != "h2" {
		t.Fatalf("ConfigHistory(2) = %+v, want h3, h2", got)
	}
	if got[0].Config != `{"n":3}` || got[0].Author != "admin@example.com" || !got[0].Time.Equal(baseTime.Add(2*time.Minute)) {
		t.Errorf("newest version = %+v", got[0])
	}
}
