package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// Defaults for Options fields left zero.
const (
	// DefaultSettle is how long after a request ended its row may wait
	// for its capture before it is exported without one. Captures are
	// queued right after their row and written within milliseconds; the
	// margin covers a large body's compression and a busy disk.
	DefaultSettle = time.Minute
	// DefaultMaxRetries is how many times in all the S3 client tries
	// each request before a run gives up until the next.
	DefaultMaxRetries = 3
)

// retryAfterFailure bounds the wait after a failed run, so an outage
// shorter than "every" does not delay the export by a whole period.
const retryAfterFailure = time.Minute

// exporterName is the S3 exporter's key in the ledger's export_state.
const exporterName = "s3"

// Options configure an Exporter.
type Options struct {
	Ledger *ledger.Ledger
	// Transport carries the S3 requests; nil is minio-go's default (the
	// OS network). The gateway passes one that also reaches tailnet
	// hosts.
	Transport http.RoundTripper
	// TempDir holds each object while it is written and uploaded ("":
	// the OS's); objects hold captured prompts, so files are 0600 and
	// removed after the upload.
	TempDir string
	// Logf logs runs and failures, never a secret. Nil is discarded.
	Logf func(format string, args ...any)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Settle is DefaultSettle when zero.
	Settle time.Duration
	// MaxRetries is DefaultMaxRetries when zero.
	MaxRetries int
}

// Result is what one run did.
type Result struct {
	Records int    // records uploaded (0: nothing was ready)
	Key     string // the object's key in the bucket
	Bytes   int64  // the object's size
	// Resumed says the run sent again a batch planned before (by a run
	// that failed, or a gateway that stopped before it was confirmed).
	Resumed bool
	// More says rows may be waiting beyond this run's: it was full, or
	// it finished an earlier batch. The loop runs again at once.
	More bool
}

// Exporter uploads the ledger's rows to the configured S3 bucket. Start
// runs it every "every" seconds until Stop; RunOnce runs it once. It is
// safe for concurrent use; runs take turns.
type Exporter struct {
	opts Options
	logf func(string, ...any)
	now  func() time.Time

	cfg     atomic.Pointer[config.S3Exporter] // nil: off
	changed chan struct{}                     // (1) the config changed: run now

	// run serializes runs and guards what follows.
	run     sync.Mutex
	bucket  *bucket
	client  config.S3Exporter // the config bucket was made for
	failing string            // the last failure logged; "" while runs succeed
	failed  int               // consecutive failed runs

	stats stats

	// afterUpload, when set (tests), runs between a successful upload and
	// its commit: an error there is a gateway that died in between.
	afterUpload func() error

	stopOnce sync.Once
	started  atomic.Bool
	stop     chan struct{}
	done     chan struct{}
}

// New returns an Exporter, off until Configure gives it a bucket.
func New(opts Options) *Exporter {
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	e := &Exporter{opts: opts, logf: opts.Logf, now: opts.Now, changed: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	if e.logf == nil {
		e.logf = func(string, ...any) {}
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// Configure sets the exporter's config, for the one the gateway starts
// with and every reload; nil turns export off. A change takes effect at
// once: the loop runs with it without waiting out the old period.
func (e *Exporter) Configure(c *config.S3Exporter) {
	old := e.cfg.Load()
	if (old == nil && c == nil) || (old != nil && c != nil && *old == *c) {
		return
	}
	if c == nil {
		e.cfg.Store(nil)
		e.logf("S3 export: off")
	} else {
		cp := *c
		e.cfg.Store(&cp)
		e.logf("S3 export: to s3://%s/%s every %v, up to %d records per object", c.Bucket, ObjectKey(c.Prefix, ""), c.Every, c.Limit)
	}
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// RunOnce uploads the next batch: the one a failed run left, or up to
// limit settled rows after the export position. It returns a zero Result
// when export is off or nothing is ready.
func (e *Exporter) RunOnce(ctx context.Context) (Result, error) {
	return e.runOnce(ctx, e.now().Add(-e.opts.Settle))
}

func (e *Exporter) runOnce(ctx context.Context, settledBefore time.Time) (Result, error) {
	e.run.Lock()
	defer e.run.Unlock()
	c := e.cfg.Load()
	if c == nil {
		return Result{}, nil
	}
	res, err := e.export(ctx, c, settledBefore)
	if err != nil {
		err = redact(err, c)
		e.stats.failures.Add(1)
		e.failed++
		if ctx.Err() == nil && err.Error() != e.failing {
			e.logf("S3 export to s3://%s failed (retried later; nothing is skipped): %v", c.Bucket, err)
			e.failing = err.Error()
		}
		return res, err
	}
	if e.failed > 0 {
		e.logf("S3 export to s3://%s works again, after %d failed runs", c.Bucket, e.failed)
		e.failing, e.failed = "", 0
	}
	if res.Records > 0 {
		e.stats.success(res, e.now())
		e.logf("S3 export: %d records to s3://%s/%s (%d bytes)", res.Records, c.Bucket, res.Key, res.Bytes)
	}
	return res, nil
}

// export is one run with config c.
func (e *Exporter) export(ctx context.Context, c *config.S3Exporter, settledBefore time.Time) (Result, error) {
	l := e.opts.Ledger
	e.stats.runs.Add(1)
	if err := l.Healthy(); err != nil {
		// The writer is retrying: captures may be queued behind it, and
		// rows exported now could go out without theirs.
		return Result{}, fmt.Errorf("ledger writes are failing, export waits for them: %w", err)
	}
	st, err := l.ExportState(ctx, exporterName)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var b ledger.ExportBatch
	if st.Pending != nil {
		b, res.Resumed = *st.Pending, true
	} else {
		through, id, n, err := l.NextExportBatch(ctx, st.Through, c.Limit, settledBefore)
		if err != nil || n == 0 {
			return Result{}, err
		}
		// Names are in the spec's form, one second apart at least, so
		// that a backlog drained in one second still never reuses one.
		unix := max(e.now().Unix(), st.LastObjectUnix+1)
		b = ledger.ExportBatch{After: st.Through, Through: through, ThroughID: id, Records: n,
			Object: ObjectName(unix), ObjectUnix: unix}
		if err := l.PlanExport(ctx, exporterName, b); err != nil {
			return Result{}, err
		}
	}
	bk, err := e.bucketFor(c)
	if err != nil {
		return res, err
	}
	f, err := os.CreateTemp(e.opts.TempDir, "aperture-export-*.cbor.zstd")
	if err != nil {
		return res, fmt.Errorf("export object file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, captured, err := writeObject(ctx, l, b, f)
	if err != nil {
		return res, err
	}
	if n != b.Records {
		e.logf("S3 export: batch %s holds %d records, %d when planned", b.Object, n, b.Records)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return res, fmt.Errorf("export object file: %w", err)
	}
	res.Key = ObjectKey(c.Prefix, b.Object)
	if err := bk.put(ctx, res.Key, f, size); err != nil {
		return res, err
	}
	if e.afterUpload != nil {
		if err := e.afterUpload(); err != nil {
			return res, err
		}
	}
	if err := l.CommitExport(ctx, exporterName, b, captured); err != nil {
		return res, fmt.Errorf("uploaded %s but not recorded (the next run uploads it again): %w", res.Key, err)
	}
	res.Records, res.Bytes = n, size
	res.More = res.Resumed || n >= c.Limit
	return res, nil
}

// writeObject writes the records of b to f and returns how many, and the
// IDs of those with a capture.
func writeObject(ctx context.Context, l *ledger.Ledger, b ledger.ExportBatch, f *os.File) (int, []string, error) {
	w, err := NewWriter(f)
	if err != nil {
		return 0, nil, err
	}
	var captured []string
	err = l.ExportRows(ctx, b, func(row *ledger.ExportRow) error {
		rec := FromRow(row)
		if rec.Capture != nil {
			captured = append(captured, rec.ID)
		}
		return w.Write(&rec)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, nil, fmt.Errorf("export object %s: %w", b.Object, err)
	}
	return w.Records(), captured, nil
}

// bucketFor returns the client for c, made anew when c changed (e.run held).
func (e *Exporter) bucketFor(c *config.S3Exporter) (*bucket, error) {
	if e.bucket != nil && e.client == *c {
		return e.bucket, nil
	}
	bk, err := newBucket(c, e.opts.Transport, e.opts.MaxRetries)
	if err != nil {
		return nil, err
	}
	e.bucket, e.client = bk, *c
	return bk, nil
}

// redact takes the access secret out of an error's text: errors are
// logged, and a library's message could one day quote a request.
func redact(err error, c *config.S3Exporter) error {
	if c.AccessSecret == "" || !strings.Contains(err.Error(), c.AccessSecret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.AccessSecret, "[redacted]"))
}

// Start runs the export loop until Stop: a first run at once, then one
// every "every" seconds, at once again after a full run (a backlog
// drains without waiting), within a minute after a failure, and at once
// after a config change.
func (e *Exporter) Start() {
	if !e.started.CompareAndSwap(false, true) {
		return
	}
	go e.loop()
}

func (e *Exporter) loop() {
	defer close(e.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-e.stop:
			cancel() // a run in flight is retried by Stop's final attempt
		case <-ctx.Done():
		}
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-e.changed:
		case <-timer.C:
		}
		timer.Stop()
		c := e.cfg.Load()
		if c == nil {
			continue // off: wait for a config with a bucket
		}
		res, err := e.RunOnce(ctx)
		switch {
		case err != nil:
			timer.Reset(min(c.Every, retryAfterFailure))
		case res.More:
			timer.Reset(0)
		default:
			timer.Reset(c.Every)
		}
	}
}

// Stop ends the loop and makes a final attempt, bounded by ctx, to export
// what is left: the gateway has stopped serving by then, so every row is
// settled once the ledger is synced. It returns the final attempt's
// error; what it could not send goes with the next start.
func (e *Exporter) Stop(ctx context.Context) error {
	e.stopOnce.Do(func() { close(e.stop) })
	if e.started.Load() {
		<-e.done
	}
	if e.cfg.Load() == nil {
		return nil
	}
	if err := e.opts.Ledger.Sync(ctx); err != nil {
		return fmt.Errorf("S3 export at shutdown: %w", err)
	}
	for {
		res, err := e.runOnce(ctx, time.Time{})
		if err != nil {
			return fmt.Errorf("S3 export at shutdown: %w", err)
		}
		if !res.More {
			return nil
		}
	}
}
