package ledger

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// exportAll plans and reads the next batch of up to limit rows (every
// row settled) and returns it with its rows.
func exportAll(t *testing.T, l *Ledger, limit int) (ExportBatch, []ExportRow) {
	t.Helper()
	ctx := context.Background()
	st, err := l.ExportState(ctx, "s3")
	if err != nil {
		t.Fatal(err)
	}
	through, id, n, err := l.NextExportBatch(ctx, st.Through, limit, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b := ExportBatch{After: st.Through, Through: through, ThroughID: id, Records: n, Object: "obj", ObjectUnix: 1}
	if err := l.PlanExport(ctx, "s3", b); err != nil {
		t.Fatal(err)
	}
	var rows []ExportRow
	if err := l.ExportRows(ctx, b, func(r *ExportRow) error { rows = append(rows, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	return b, rows
}

// stored is what the ledger keeps of r: durations in milliseconds, and
// not the usage flags it does not store.
func stored(r *Record) Record {
	s := *r
	s.Time = s.Time.UTC()
	s.Duration = s.Duration.Truncate(time.Millisecond)
	s.TTFB = s.TTFB.Truncate(time.Millisecond)
	s.Usage.Found = false
	s.Interrupted = r.Interrupted || r.Usage.Interrupted
	s.Usage.Interrupted = false
	if s.Tags == nil {
		s.Tags = []string{}
	}
	return s
}

func TestExportRowsReadEveryField(t *testing.T) {
	l, _ := openTest(t, Options{})
	var want []Record
	for i := range 4 {
		r := record(i)
		switch i {
		case 0:
			r.Capture = &Capture{
				RequestHeaders:  http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {"[redacted]"}},
				ResponseHeaders: http.Header{"Request-Id": {"req_1"}},
				RequestBody:     []byte(`{"model":"claude-sonnet-4-6"}`),
				ResponseBody:    []byte(strings.Repeat("big answer ", 500)), // stored gzipped
				Truncated:       true,
			}
		case 1:
			r.CostKnown, r.CostNanos = false, 0 // unknown, not free
			r.Tags = []string{"tag:ci", "tag:prod"}
			r.LoginName, r.Principal = "tagged-devices", "tag:ci,tag:prod"
		case 2:
			r.Path = "/v1/responses" // written by the writer
			r.Usage.Estimated, r.Unpriced, r.Interrupted, r.Error = true, "web_search", true, "upstream cut"
			r.API, r.Stream, r.Status, r.UserAgent = config.OpenAIResponses, false, 502, "openai-python/2.0"
		}
		mustCommit(t, l, r)
		want = append(want, stored(r))
	}
	if _, err := l.db.Exec(`UPDATE requests SET path = '/v1/messages' WHERE id = ?`, want[0].ID); err != nil {
		t.Fatal(err)
	}
	want[0].Path = "/v1/messages"
	b, rows := exportAll(t, l, 100)
	if b.Records != 4 || len(rows) != 4 {
		t.Fatalf("batch %+v, %d rows", b, len(rows))
	}
	for i, r := range rows {
		if !reflect.DeepEqual(r.Record, want[i]) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, r.Record, want[i])
		}
		if i > 0 && r.Seq <= rows[i-1].Seq {
			t.Errorf("row %d: seq %d after %d", i, r.Seq, rows[i-1].Seq)
		}
	}
	if rows[0].Path != "/v1/messages" || rows[1].Path != "" || rows[2].Path != "/v1/responses" {
		t.Errorf("paths %q %q %q", rows[0].Path, rows[1].Path, rows[2].Path)
	}
	if b.Through != rows[3].Seq || b.ThroughID != want[3].ID {
		t.Errorf("batch ends at %d %s, want %d %s", b.Through, b.ThroughID, rows[3].Seq, want[3].ID)
	}
}

func TestExportPositionMovesOnlyOnCommit(t *testing.T) {
	ctx := context.Background()
	l, _ := openTest(t, Options{})
	for i := range 5 {
		mustCommit(t, l, record(i))
	}
	b, rows := exportAll(t, l, 3)
	if len(rows) != 3 || rows[0].ID != "req-000000" {
		t.Fatalf("first batch %+v", rows)
	}
	st, err := l.ExportState(ctx, "s3")
	if err != nil {
		t.Fatal(err)
	}
	if st.Through != 0 || st.Pending == nil || *st.Pending != b {
		t.Fatalf("planned, not committed: state %+v pending %+v, want pending %+v", st, st.Pending, b)
	}
	// Another plan from a stale position is refused.
	if err := l.PlanExport(ctx, "s3", ExportBatch{After: 99, Through: 100}); err == nil {
		t.Error("plan from a position that is not the exporter's accepted")
	}
	if err := l.CommitExport(ctx, "s3", ExportBatch{After: 0, Through: b.Through - 1}, nil); err == nil {
		t.Error("commit of a batch that was not planned accepted")
	}
	if err := l.CommitExport(ctx, "s3", b, nil); err != nil {
		t.Fatal(err)
	}
	st, err = l.ExportState(ctx, "s3")
	if err != nil {
		t.Fatal(err)
	}
	if st.Through != b.Through || st.ThroughID != "req-000002" || st.Pending != nil || st.LastObjectUnix != 1 {
		t.Fatalf("after commit: %+v", st)
	}
	_, rows = exportAll(t, l, 3)
	if len(rows) != 2 || rows[0].ID != "req-000003" || rows[1].ID != "req-000004" {
		t.Errorf("second batch %+v", rows)
	}
}

// A row whose capture is not stored yet is held back until it has
// settled, and everything after it with it: the position is one rowid.
func TestNextExportBatchWaitsForSettledRows(t *testing.T) {
	ctx := context.Background()
	l, _ := openTest(t, Options{})
	end := func(r *Record) time.Time { return r.Time.Add(r.Duration) }
	r0, r1, r2 := record(0), record(1), record(2)
	r1.Capture = testCapture(1) // stored: settled whatever the time
	for _, r := range []*Record{r0, r1, r2} {
		mustCommit(t, l, r)
	}
	tests := []struct {
		name    string
		settled time.Time
		want    int
	}{
		{"none ended before", end(r0).Add(-time.Nanosecond), 0},
		{"first ended; second captured", end(r0), 2},
		{"all ended", end(r2), 3},
		{"zero takes all", time.Time{}, 3},
	}
	for _, tt := range tests {
		_, _, n, err := l.NextExportBatch(ctx, 0, 10, tt.settled)
		if err != nil {
			t.Fatal(err)
		}
		if n != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.name, n, tt.want)
		}
	}
}

// CommitExport marks exported exactly the captures it is given, so
// require_export purges those and keeps one stored after the batch was
// read.
func TestCommitExportMarksCaptures(t *testing.T) {
	ctx := context.Background()
	clock := newClock(baseTime)
	l, _ := openTest(t, Options{Now: clock.Now})
	for i := range 3 {
		r := record(i)
		r.Capture = testCapture(i)
		mustCommit(t, l, r)
	}
	b, _ := exportAll(t, l, 10)
	if err := l.CommitExport(ctx, "s3", b, []string{"req-000000", "req-000002"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * 24 * time.Hour)
	l.SetRetention(&config.Retention{Duration: "30d", Period: 30 * 24 * time.Hour, RequireExport: true, Purge: []string{"captures"}})
	if n, err := l.PurgeCaptures(ctx); err != nil || n != 2 {
		t.Fatalf("purged %d, %v; want 2", n, err)
	}
	for i, kept := range []bool{false, true, false} {
		_, err := l.Capture(ctx, record(i).ID)
		if (err == nil) != kept {
			t.Errorf("capture %d kept = %v, want %v", i, err == nil, kept)
		}
	}
}

// Should rowids be renumbered (a VACUUM by hand can), the position
// follows the row it was at, so nothing is exported twice.
func TestExportStateFollowsRenumberedRows(t *testing.T) {
	sqliteOnly(t, "rowids; PostgreSQL's requests.seq is never renumbered")
	ctx := context.Background()
	l, _ := openTest(t, Options{})
	for i := range 4 {
		mustCommit(t, l, record(i))
	}
	b, _ := exportAll(t, l, 2)
	if err := l.CommitExport(ctx, "s3", b, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.Exec(`UPDATE requests SET rowid = rowid + 1000`); err != nil {
		t.Fatal(err)
	}
	_, rows := exportAll(t, l, 10)
	if len(rows) != 2 || rows[0].ID != "req-000002" {
		t.Errorf("after renumbering: %+v", rows)
	}
}
