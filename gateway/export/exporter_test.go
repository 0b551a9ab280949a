package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/usage"
	"github.com/tsplug/ts-plug/internal/s3test"
)

// baseTime is when the test's requests start; the clock starts an hour
// later, so they have all settled.
var baseTime = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// clock is a settable clock shared by the ledger and the exporter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logs keeps log lines and hands each to a channel, for tests that wait
// for the loop to say something.
type logs struct {
	mu    sync.Mutex
	lines []string
	c     chan string
}

func (l *logs) Logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	select {
	case l.c <- s:
	default:
	}
}

func (l *logs) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// env is a ledger, an S3 server and what a test needs around them.
type env struct {
	t     *testing.T
	srv   *s3test.Server
	l     *ledger.Ledger
	clock *clock
	logs  *logs
	n     int // records committed so far
}

// newEnv runs the test in parallel with the others: each has its own
// server and ledger.
func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	srv := s3test.Start(t)
	c := &clock{t: baseTime.Add(time.Hour)}
	l, err := ledger.Open(filepath.Join(t.TempDir(), "aperture.db"), ledger.Options{Logf: t.Logf, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &env{t: t, srv: srv, l: l, clock: c, logs: &logs{c: make(chan string, 100)}}
}

// config is the exporter config for the test server, changed by mods.
func (e *env) config(mods ...func(*config.S3Exporter)) *config.S3Exporter {
	c := &config.S3Exporter{Bucket: e.srv.Bucket, Region: s3test.Region, Endpoint: e.srv.Endpoint,
		AccessKeyID: s3test.AccessKeyID, AccessSecret: s3test.SecretAccessKey,
		Every: time.Hour, Limit: config.DefaultS3Limit}
	for _, m := range mods {
		m(c)
	}
	return c
}

// exporter is a new exporter (a gateway starting) with config c.
func (e *env) exporter(c *config.S3Exporter) *Exporter {
	x := New(Options{Ledger: e.l, Logf: e.logs.Logf, Now: e.clock.Now, TempDir: e.t.TempDir(), MaxRetries: 1})
	x.Configure(c)
	return x
}

// commit writes n more requests to the ledger, every other one with a
// capture, and returns them.
func (e *env) commit(n int) []*ledger.Record {
	e.t.Helper()
	var out []*ledger.Record
	for range n {
		i := e.n
		e.n++
		r := &ledger.Record{
			ID: fmt.Sprintf("req-%06d", i), Time: baseTime.Add(time.Duration(i) * time.Second),
			LoginName: "alice@example.com", NodeName: "laptop.tail.ts.net", StableNodeID: "nSTABLE1CNTRL",
			Principal: "alice@example.com", Provider: "anthropic", Model: "claude-sonnet-4-6",
			API: config.AnthropicMessages, Stream: i%2 == 0, Status: 200, Duration: 1500 * time.Millisecond,
			TTFB: 250 * time.Millisecond, SessionID: "sess-1", UserAgent: "claude-cli/2.1",
			Usage: usage.Usage{InputTokens: int64(100 + i), OutputTokens: 50, CachedTokens: 10,
				CacheCreationTokens: 6, CacheCreation5mTokens: 4, CacheCreation1hTokens: 2, ReasoningTokens: 7},
			CostNanos: int64(1000 * i), CostKnown: i%3 != 1,
		}
		if i%4 == 3 { // a shared device's local user
			r.LoginName, r.Tags, r.Principal, r.LocalUser = "", []string{"tag:lab"}, "tag:lab", fmt.Sprintf("user%d", i)
		}
		if i%2 == 0 {
			r.Capture = &ledger.Capture{
				RequestHeaders:  http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {"[redacted]"}},
				ResponseHeaders: http.Header{"Request-Id": {fmt.Sprintf("msg_%d", i)}},
				RequestBody:     []byte(fmt.Sprintf(`{"model":"claude-sonnet-4-6","n":%d}`, i)),
				ResponseBody:    bytes.Repeat([]byte(fmt.Sprintf("event %d\n", i)), 400), // stored gzipped
			}
		}
		if err := e.l.Commit(context.Background(), r); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// objects downloads and decodes every object in the bucket, by key.
func (e *env) objects() map[string][]Record {
	e.t.Helper()
	out := map[string][]Record{}
	for _, k := range e.srv.Keys() {
		recs, err := ReadAll(bytes.NewReader(e.srv.Get(k)))
		if err != nil {
			e.t.Fatalf("object %s: %v", k, err)
		}
		out[k] = recs
	}
	return out
}

// exportedIDs returns the IDs of every record in the bucket, in the order
// of the objects' times then record order, failing on one that appears
// twice.
func (e *env) exportedIDs() []string {
	e.t.Helper()
	objs := e.objects()
	keys := make([]string, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	unix := func(k string) int64 {
		t, err := ParseObjectName(k)
		if err != nil {
			e.t.Fatal(err)
		}
		return t
	}
	slices.SortFunc(keys, func(a, b string) int { return int(unix(a) - unix(b)) })
	var ids []string
	for _, k := range keys {
		for _, r := range objs[k] {
			if slices.Contains(ids, r.ID) {
				e.t.Errorf("record %s is exported twice (again in %s)", r.ID, k)
			}
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func (e *env) position() ledger.ExportState {
	e.t.Helper()
	st, err := e.l.ExportState(context.Background(), exporterName)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func idsOf(recs []*ledger.Record) []string {
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

func mustRun(t *testing.T, x *Exporter) Result {
	t.Helper()
	res, err := x.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return res
}

// Every record in the bucket is the ledger's row, field by field, read
// back through the ledger's own query API.
func TestExportedObjectsMatchTheLedger(t *testing.T) {
	e := newEnv(t)
	committed := e.commit(6)
	x := e.exporter(e.config(func(c *config.S3Exporter) { c.Prefix = "aperture/prod" }))
	res := mustRun(t, x)
	if res.Records != 6 || res.More || res.Resumed {
		t.Errorf("result %+v", res)
	}
	objs := e.objects()
	wantKey := "aperture/prod/" + ObjectName(e.clock.Now().Unix())
	if len(objs) != 1 || objs[wantKey] == nil || res.Key != wantKey {
		t.Fatalf("objects %v (result key %s), want one at %s", e.srv.Keys(), res.Key, wantKey)
	}
	rows, err := e.l.Requests(context.Background(), ledger.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ledger.Row{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	got := objs[wantKey]
	if len(got) != len(committed) {
		t.Fatalf("%d records, want %d", len(got), len(committed))
	}
	for i, rec := range got {
		in := committed[i]
		row, ok := byID[rec.ID]
		if !ok || rec.ID != in.ID {
			t.Fatalf("record %d is %s, want %s in the ledger", i, rec.ID, in.ID)
		}
		var cost *Cost
		if row.CostNanos != nil {
			cost = &Cost{Nanodollars: *row.CostNanos, Dollars: float64(*row.CostNanos) / 1e9}
		}
		checks := []struct {
			field     string
			got, want any
		}{
			{"ver", rec.Ver, 2},
			{"timestamp", rec.Timestamp, row.Time},
			{"login", rec.Identity.LoginName, row.LoginName},
			{"node", rec.Identity.NodeName, row.Node},
			{"stable node ID", rec.Identity.StableNodeID, in.StableNodeID},
			{"tags", len(rec.Identity.Tags), len(row.Tags)},
			{"principal", rec.Identity.Principal, in.Principal},
			{"local user", rec.Identity.LocalUser, row.LocalUser},
			{"provider", rec.Provider, row.Provider},
			{"model", rec.Model, row.Model},
			{"api_type", rec.APIType, "ant_messages"},
			{"stream", rec.Stream, row.Stream},
			{"status_code", rec.StatusCode, row.Status},
			{"duration_ms", rec.DurationMS, row.DurationMS},
			{"ttfb_ms", rec.TTFBMS, row.TTFBMS},
			{"input", rec.Usage.InputTokens, row.InputTokens},
			{"output", rec.Usage.OutputTokens, row.OutputTokens},
			{"cached", rec.Usage.CachedTokens, row.CachedTokens},
			{"cache creation", rec.Usage.CacheCreationInputTokens, row.CacheCreationTokens},
			{"cache creation 5m", rec.Usage.CacheCreation5mInputTokens, in.Usage.CacheCreation5mTokens},
			{"cache creation 1h", rec.Usage.CacheCreation1hInputTokens, in.Usage.CacheCreation1hTokens},
			{"reasoning", rec.Usage.ReasoningTokens, row.ReasoningTokens},
			{"estimated", rec.Usage.Estimated, row.Estimated},
			{"estimated_cost", rec.EstimatedCost, cost},
			{"session_id", rec.SessionID, row.SessionID},
			{"user agent", rec.UserAgent, in.UserAgent},
			{"interrupted", rec.Interrupted, row.Interrupted},
		}
		for _, c := range checks {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s %s = %#v, ledger has %#v", rec.ID, c.field, c.got, c.want)
			}
		}
		stored, err := e.l.Capture(context.Background(), rec.ID)
		if errors.Is(err, ledger.ErrNotFound) {
			if rec.Capture != nil || rec.CaptureID != "" {
				t.Errorf("%s: a capture is exported, the ledger has none", rec.ID)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want := &Capture{RequestHeaders: stored.RequestHeaders, ResponseHeaders: stored.ResponseHeaders,
			RequestBody: stored.RequestBody, ResponseBody: stored.ResponseBody, Truncated: stored.Truncated}
		if rec.CaptureID != rec.ID || !reflect.DeepEqual(rec.Capture, want) {
			t.Errorf("%s: capture %s %+v, ledger has %+v", rec.ID, rec.CaptureID, rec.Capture, want)
		}
	}
	// Nothing new: the next run uploads nothing.
	if res := mustRun(t, x); res.Records != 0 || len(e.srv.Keys()) != 1 {
		t.Errorf("second run %+v, keys %v", res, e.srv.Keys())
	}
}

// While the endpoint is down nothing is exported and the position stays;
// once it is back, every record is exported, once.
func TestEndpointDownThenUp(t *testing.T) {
	e := newEnv(t)
	want := idsOf(e.commit(4))
	x := e.exporter(e.config())
	e.srv.Stop()
	for range 2 {
		if _, err := x.RunOnce(context.Background()); err == nil {
			t.Fatal("a run against a stopped server succeeded")
		}
	}
	if st := e.position(); st.Through != 0 || st.Pending == nil || st.Pending.Records != 4 {
		t.Errorf("after failed runs: %+v %+v", st, st.Pending)
	}
	e.srv.Restart()
	if keys := e.srv.Keys(); len(keys) != 0 {
		t.Fatalf("objects while down: %v", keys)
	}
	// Rows committed during the outage wait for the next batch: the one
	// planned is sent as planned.
	later := idsOf(e.commit(2))
	res := mustRun(t, x)
	if res.Records != 4 || !res.Resumed || !res.More {
		t.Errorf("first run back: %+v", res)
	}
	mustRun(t, x)
	if got := e.exportedIDs(); !slices.Equal(got, append(want, later...)) {
		t.Errorf("exported %v, want %v", got, append(want, later...))
	}
	if x.Stats().Failures != 2 || x.Stats().Records != 6 {
		t.Errorf("stats %+v", x.Stats())
	}
}

// An endpoint that refuses the upload (here, the credentials) exports
// nothing until the config is fixed; no log line holds the secret.
func TestRefusedUploadsThenFixedConfig(t *testing.T) {
	e := newEnv(t)
	want := idsOf(e.commit(3))
	const secret = "very-secret-access-key-0123456789"
	x := e.exporter(e.config(func(c *config.S3Exporter) { c.AccessKeyID, c.AccessSecret = "AKIAWRONG", secret }))
	_, err := x.RunOnce(context.Background())
	if err == nil || len(e.srv.Keys()) != 0 {
		t.Fatalf("refused credentials: err %v, keys %v", err, e.srv.Keys())
	}
	if st := e.position(); st.Through != 0 {
		t.Errorf("position moved: %+v", st)
	}
	x.Configure(e.config())
	mustRun(t, x)
	if got := e.exportedIDs(); !slices.Equal(got, want) {
		t.Errorf("exported %v, want %v", got, want)
	}
	if strings.Contains(e.logs.all(), secret) || strings.Contains(err.Error(), secret) {
		t.Errorf("the secret is logged:\n%s", e.logs.all())
	}
	if !strings.Contains(e.logs.all(), "works again") {
		t.Errorf("no recovery logged:\n%s", e.logs.all())
	}
}

// A gateway that died after the upload but before recording it uploads
// the same batch under the same name when it starts again: the object is
// replaced, no record is in two objects.
func TestCrashBetweenUploadAndCommit(t *testing.T) {
	e := newEnv(t)
	first := idsOf(e.commit(3))
	x := e.exporter(e.config())
	x.afterUpload = func() error { return errors.New("killed") }
	if _, err := x.RunOnce(context.Background()); err == nil {
		t.Fatal("the crash went unnoticed")
	}
	keys := e.srv.Keys()
	if len(keys) != 1 {
		t.Fatalf("after the crash: %v", keys)
	}
	e.commit(2) // arrive while the gateway is down
	e.clock.Advance(time.Minute)

	restarted := e.exporter(e.config())
	res := mustRun(t, restarted)
	if !res.Resumed || res.Key != keys[0] || res.Records != 3 {
		t.Errorf("rerun %+v, want the batch of %s again", res, keys[0])
	}
	if got := e.srv.Keys(); !slices.Equal(got, keys) {
		t.Errorf("rerun added an object: %v", got)
	}
	mustRun(t, restarted)
	if got, want := e.exportedIDs(), append(first, "req-000003", "req-000004"); !slices.Equal(got, want) {
		t.Errorf("exported %v, want %v", got, want)
	}
}

// With require_export, a purge removes exactly the captures that are in
// an uploaded object, and not those of rows not exported yet.
func TestRequireExportPurgesOnlyExportedCaptures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	recs := e.commit(6) // captures on 0, 2, 4
	late := &ledger.Record{ID: "late", Time: baseTime.Add(10 * time.Second), Principal: "bob", Status: 200}
	if err := e.l.Commit(ctx, late); err != nil { // its capture comes after the export
		t.Fatal(err)
	}
	x := e.exporter(e.config(func(c *config.S3Exporter) { c.Limit = 4 }))
	mustRun(t, x) // rows 0-3: captures 0 and 2
	if err := e.l.CaptureAsync(late.ID, &ledger.Capture{RequestBody: []byte("late")}); err != nil {
		t.Fatal(err)
	}
	if err := e.l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	e.l.SetRetention(&config.Retention{Duration: "30d", Period: 30 * 24 * time.Hour, RequireExport: true, Purge: []string{"captures"}})
	mustRun(t, x) // rows 4, 5 and late (whose capture is now stored): captures 4 and late
	e.commit(2)   // a capture on 6, not exported
	e.clock.Advance(31 * 24 * time.Hour)
	n, err := e.l.PurgeCaptures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("purged %d captures, want 4 (0, 2, 4, late)", n)
	}
	if _, err := e.l.Capture(ctx, "req-000006"); err != nil {
		t.Errorf("the unexported capture is gone: %v", err)
	}
	for _, r := range recs {
		if _, err := e.l.Capture(ctx, r.ID); err == nil {
			t.Errorf("exported capture %s kept", r.ID)
		}
	}
}

// A capture stored after its row was exported is not marked exported:
// require_export keeps it.
func TestLateCaptureIsKept(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := &ledger.Record{ID: "late", Time: baseTime, Principal: "bob", Status: 200}
	if err := e.l.Commit(ctx, r); err != nil {
		t.Fatal(err)
	}
	x := e.exporter(e.config())
	if res := mustRun(t, x); res.Records != 1 {
		t.Fatalf("run %+v", res)
	}
	if err := e.l.CaptureAsync(r.ID, &ledger.Capture{RequestBody: []byte("late")}); err != nil {
		t.Fatal(err)
	}
	if err := e.l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	e.l.SetRetention(&config.Retention{Duration: "30d", Period: 30 * 24 * time.Hour, RequireExport: true, Purge: []string{"captures"}})
	e.clock.Advance(31 * 24 * time.Hour)
	if n, err := e.l.PurgeCaptures(ctx); err != nil || n != 0 {
		t.Errorf("purged %d, %v; want 0", n, err)
	}
}

// A run takes at most limit records; consecutive runs drain a backlog,
// each object under its own name even within one second.
func TestLimitAndBacklog(t *testing.T) {
	e := newEnv(t)
	want := idsOf(e.commit(7))
	x := e.exporter(e.config(func(c *config.S3Exporter) { c.Limit = 3 }))
	var sizes []int
	var more []bool
	for range 4 {
		res := mustRun(t, x)
		sizes, more = append(sizes, res.Records), append(more, res.More)
	}
	if !slices.Equal(sizes, []int{3, 3, 1, 0}) || !slices.Equal(more, []bool{true, true, false, false}) {
		t.Errorf("runs took %v (more %v), want 3, 3, 1, 0", sizes, more)
	}
	now := e.clock.Now().Unix()
	wantKeys := []string{ObjectName(now), ObjectName(now + 1), ObjectName(now + 2)}
	if got := e.srv.Keys(); !slices.Equal(got, wantKeys) {
		t.Errorf("keys %v, want %v", got, wantKeys)
	}
	if got := e.exportedIDs(); !slices.Equal(got, want) {
		t.Errorf("exported %v, want %v", got, want)
	}
}

// The loop drains a backlog at once (every is an hour here), and a config
// change takes effect without a restart.
func TestLoopDrainsBacklogAndFollowsConfig(t *testing.T) {
	e := newEnv(t)
	want := idsOf(e.commit(5))
	x := e.exporter(e.config(func(c *config.S3Exporter) { c.Limit = 2 }))
	x.Start()
	defer x.Stop(context.Background())
	waitLogs(t, e.logs, "S3 export: 2 records", "S3 export: 2 records", "S3 export: 1 records")
	if got := e.exportedIDs(); !slices.Equal(got, want) {
		t.Errorf("exported %v, want %v", got, want)
	}
	more := idsOf(e.commit(1))
	x.Configure(e.config(func(c *config.S3Exporter) { c.Limit, c.Prefix = 2, "moved" }))
	waitLogs(t, e.logs, "S3 export: 1 records to s3://exports/moved/")
	if got := e.exportedIDs(); !slices.Equal(got, append(want, more...)) {
		t.Errorf("exported %v, want %v", got, append(want, more...))
	}
	x.Configure(nil)
	if res := mustRun(t, x); res != (Result{}) {
		t.Errorf("run while off: %+v", res)
	}
}

// waitLogs waits for log lines containing each of wants, in order.
func waitLogs(t *testing.T, l *logs, wants ...string) {
	t.Helper()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for _, want := range wants {
		for found := false; !found; {
			select {
			case line := <-l.c:
				found = strings.Contains(line, want)
			case <-timeout.C:
				t.Fatalf("no log line %q; logs:\n%s", want, l.all())
			}
		}
	}
}

// Rows that have not settled (their capture may still be on its way)
// wait for a later run, but Stop, when the gateway has stopped serving,
// exports them.
func TestStopExportsUnsettledRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := &ledger.Record{ID: "just-now", Time: e.clock.Now().Add(-time.Second), Principal: "bob", Status: 200}
	if err := e.l.Commit(ctx, r); err != nil {
		t.Fatal(err)
	}
	x := e.exporter(e.config())
	if res := mustRun(t, x); res.Records != 0 {
		t.Fatalf("an unsettled row was exported: %+v", res)
	}
	if err := x.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.exportedIDs(); !slices.Equal(got, []string{"just-now"}) {
		t.Errorf("after Stop: %v", got)
	}
}
