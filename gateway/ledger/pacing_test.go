package ledger

import (
	"context"
	"testing"
	"time"
)

// TestPacingWiring: SQLite's writes are paced (8-row inserts, a backlog
// to read when there is a row log), PostgreSQL's are not (its statements
// wait on the network anyway).
func TestPacingWiring(t *testing.T) {
	l, _ := openTest(t, Options{})
	if onPostgres() {
		if l.pace.y != nil {
			t.Error("PostgreSQL writes are paced")
		}
		return
	}
	if l.pace.y == nil || l.pace.every != yieldEvery || l.pace.backlog == nil {
		t.Fatalf("SQLite with a row log: pace %+v, want a netYield, yieldEvery and the backlog", l.pace)
	}
	if err := l.prepareWriter(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*multiInsert{l.insertReq, l.insertCap, l.insertOwner} {
		if m.pause == nil || m.most != pacedChunk || len(m.raw) != pacedChunk+1 || m.sc == nil {
			t.Errorf("%s: pause set %v, most %d, %d statements on the writer's own connection (%v); want set, %d, %d (true)",
				m.table, m.pause != nil, m.most, len(m.raw), m.sc != nil, pacedChunk, pacedChunk+1)
		}
	}
	direct, _ := openTest(t, Options{NoRowLog: true})
	if direct.pace.y == nil || direct.pace.backlog != nil {
		t.Errorf("SQLite without a row log: pace %+v, want a netYield and no backlog (one yield a pause)", direct.pace)
	}
}

// TestWritePausesBeforeEachExecution: a write transaction gives way
// before each multi-row insert and before its commit.
func TestWritePausesBeforeEachExecution(t *testing.T) {
	sqliteOnly(t, "pacing")
	l, _ := openTest(t, Options{IndexInterval: time.Hour})
	if err := l.prepareWriter(context.Background()); err != nil {
		t.Fatal(err)
	}
	execs := 0
	for _, m := range []*multiInsert{l.insertReq, l.insertCap, l.insertOwner} {
		m.onExec = func() { execs++ }
	}
	l.pace.every = 0                                  // a yield at every pause
	l.pace.backlog = func() int { return behindRows } // one each
	var items []*item
	for i := range 20 {
		r := fullRecord(i) // a created response too: two tables
		it, err := l.newItem(r)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	before := l.pace.y.n
	if err := l.write(items); err != nil {
		t.Fatal(err)
	}
	if got, want := l.pace.y.n-before, execs+1; got != want || execs < 6 {
		t.Errorf("%d yields for %d executions, want %d (one before each, one before the commit)", got, execs, want)
	}
}
