package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// item is one record on its way to the database. Its column values are
// computed (and its capture compressed) on the committing goroutine, so the
// single writer only executes inserts and many callers compress in
// parallel.
type item struct {
	req     []any      // requests columns, in insertRequest order
	capture []any      // captures columns, or nil
	owner   []any      // response_owners columns, or nil
	done    chan error // buffered; nil when nobody waits (Enqueue)
	// notified: done has been sent to. Only the writer touches it until
	// it hands the item to the indexer (rowLog.append, under its lock),
	// and only the indexer after.
	notified bool
	// awaitIndex: with a row log, done waits for the database itself
	// (Sync, Commit), not only for the log; the indexer sends to it.
	awaitIndex bool
}

// requestColumns, ownerColumns and captureColumns are the columns the
// writer inserts, in the order of an item's values.
var (
	requestColumns = []string{"id", "time", "login_name", "node", "stable_node_id", "tags", "principal", "provider",
		"model", "api", "stream", "status", "duration_ms", "ttfb_ms", "input_tokens",
		"output_tokens", "cached_tokens", "cache_creation_tokens",
		"cache_creation_5m_tokens", "cache_creation_1h_tokens", "reasoning_tokens",
		"cost_nanodollars", "session_id", "interrupted", "error", "user_agent",
		"estimated", "unpriced", "path", "local_user"}
	ownerColumns   = []string{"id", "principal", "created", "context_tokens"}
	captureColumns = []string{"request_id", "created", "request_headers", "response_headers", "request_body",
		"response_body", "truncated"}
)

// newItem turns r into column values. It keeps no reference to r, so the
// caller may reuse r as soon as Commit or Enqueue returns.
func (l *Ledger) newItem(r *Record) (*item, error) {
	if r == nil || r.ID == "" {
		return nil, errors.New("ledger: record has no ID")
	}
	t := r.Time
	if t.IsZero() {
		t = l.now()
	}
	var cost any // NULL: unknown, never "free"
	if r.CostKnown {
		cost = r.CostNanos
	}
	u := r.Usage
	b := l.boxes.box
	// One array holds the request's values and, after them, its created
	// response's: a Responses request's row costs no second allocation,
	// and the time is boxed once for both.
	at := any(t.UnixNano())
	vals := make([]any, 0, len(requestColumns)+len(ownerColumns))
	vals = append(vals,
		r.ID, at, b(clip(r.LoginName)), b(clip(r.NodeName)), b(r.StableNodeID),
		b(clip(strings.Join(r.Tags, ","))), b(r.Principal), b(r.Provider), b(clip(r.Model)),
		b(string(r.API)), r.Stream, r.Status, r.Duration.Milliseconds(),
		r.TTFB.Milliseconds(), u.InputTokens, u.OutputTokens, u.CachedTokens,
		u.CacheCreationTokens, u.CacheCreation5mTokens, u.CacheCreation1hTokens,
		u.ReasoningTokens, cost, clip(r.SessionID), r.Interrupted || u.Interrupted,
		b(clip(r.Error)), b(clip(r.UserAgent)), u.Estimated, b(clip(r.Unpriced)), b(clip(r.Path)), b(clip(r.LocalUser)),
	)
	n := len(vals)
	it := &item{req: vals[:n:n]}
	if r.CreatedResponse != "" {
		var tokens any // NULL: unknown
		if r.ResponseContext > 0 {
			tokens = r.ResponseContext
		}
		it.owner = append(vals[n:n], r.CreatedResponse, b(r.Principal), at, tokens)
	}
	l.db.d.cleanRow(it.req)
	l.db.d.cleanRow(it.owner)
	if r.Capture != nil && l.KeepsCaptures() {
		c, err := encodeCapture(r.Capture, r.ID, l.now().UnixNano())
		if err != nil {
			return nil, fmt.Errorf("ledger: capture of %s: %w", r.ID, err)
		}
		it.capture = c
	}
	return it, nil
}

// maxText bounds a text column a caller can make long (a User-Agent, a
// model name, a path: net/http admits a megabyte of headers): a row stays
// a few kilobytes, and under the row log's record limit, whatever a
// client sends.
const maxText = 8 << 10

// clip cuts s to maxText bytes, at a character boundary.
func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	// Back over at most a character's continuation bytes: text that is
	// not UTF-8 is cut at maxText, not emptied.
	n := maxText
	for n > maxText-(utf8.UTFMax-1) && !utf8.RuneStart(s[n]) {
		n--
	}
	if !utf8.RuneStart(s[n]) {
		n = maxText
	}
	return s[:n]
}

// Commit records r and returns once its row is committed to the database,
// sharing the transaction with every other record queued meanwhile (group
// commit). If the queue is full it waits for room, bounded by ctx. It
// returns the write error while the database cannot be written; the
// record stays queued and is written when the database recovers (inserts
// are idempotent by ID, so committing the same record again is harmless).
// A ctx that ends first returns ctx's error, and the record may still be
// written later.
func (l *Ledger) Commit(ctx context.Context, r *Record) error {
	it, err := l.newItem(r)
	if err != nil {
		return err
	}
	it.done = make(chan error, 1)
	it.awaitIndex = l.rows != nil
	if err := l.enqueue(ctx, it); err != nil {
		return err
	}
	select {
	case err := <-it.done:
		if err != nil {
			return fmt.Errorf("ledger: commit %s: %w", r.ID, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ledger: commit %s not confirmed: %w", r.ID, ctx.Err())
	}
}

// Enqueue records r and returns once its row is durable, so that a
// request whose answer has gone out in full is on the ledger even if the
// gateway is killed (SIGKILL, OOM) right after: the gateway calls it
// before its handler returns, and the last bytes of the answer go out
// only then. On SQLite the row is then in the row log (rowlog.go), and
// in the database within Options.IndexInterval; on PostgreSQL it is
// committed. Waiting costs little: a caller wakes the writer at once,
// and every row that arrives while the writer is busy shares its next
// write (group commit), so under load many requests wait for one write.
//
// The wait is bounded by Options.EnqueueWait, for room in the queue and for the
// write together: a broken or stalled disk makes Enqueue fail rather than
// hold its caller's answer open. While the rows cannot be written it
// returns the write error at once; the row then stays queued and is
// written if the disk recovers (inserts are idempotent by ID), but
// the caller cannot count on it. It fails after Close.
func (l *Ledger) Enqueue(r *Record) error {
	it, err := l.newItem(r)
	if err != nil {
		return err
	}
	it.done = make(chan error, 1)
	timer := l.timers.get(l.opts.EnqueueWait)
	defer l.timers.put(timer)
	if err := l.send(context.Background(), timer.C, it); err != nil {
		return err
	}
	select {
	case err := <-it.done:
		if err != nil {
			return fmt.Errorf("ledger: %s not committed (kept queued for a retry): %w", r.ID, err)
		}
		return nil
	case <-timer.C:
		return fmt.Errorf("ledger: %s not committed within %v (database writes stalled?)", r.ID, l.opts.EnqueueWait)
	}
}

// Sync returns once every record queued before it is committed, so a
// query that follows sees them (the dashboard and the JSON API read
// their own writes). It returns the write error while the database
// cannot be written.
func (l *Ledger) Sync(ctx context.Context) error {
	it := &item{done: make(chan error, 1), awaitIndex: l.rows != nil}
	if err := l.enqueue(ctx, it); err != nil {
		return err
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("ledger: sync: %w", ctx.Err())
	}
}

// CaptureAsync queues the capture of request id, committed earlier
// without one, and returns at once: unlike its row, a request's capture
// is not waited for. Captures are committed in a transaction of their own
// within Options.FlushInterval (sooner with a Sync, a full batch or
// Close), so that they never add their page writes to the commit a
// request waits for; a gateway killed outright can lose the captures
// (never the rows) of its last FlushInterval. The compression
// happens here, on the caller's goroutine, which for the gateway is after
// the client has its answer. Retention "0" stores nothing.
func (l *Ledger) CaptureAsync(id string, c *Capture) error {
	if id == "" || c == nil || !l.KeepsCaptures() {
		return nil
	}
	cols, err := encodeCapture(c, id, l.now().UnixNano())
	if err != nil {
		return fmt.Errorf("ledger: capture of %s: %w", id, err)
	}
	return l.enqueueBounded(&item{capture: cols})
}

// enqueue hands it to the writer, waiting for room in the queue.
func (l *Ledger) enqueue(ctx context.Context, it *item) error {
	return l.send(ctx, nil, it)
}

// enqueueBounded is enqueue bounded by Options.EnqueueWait. The timer is made
// only when the queue is full: the common case costs one channel send.
func (l *Ledger) enqueueBounded(it *item) error {
	if ok, err := l.trySend(it); ok || err != nil {
		return err
	}
	t := time.NewTimer(l.opts.EnqueueWait)
	defer t.Stop()
	return l.send(context.Background(), t.C, it)
}

// trySend hands it to the writer if the queue has room. It reports
// whether it did, or ErrClosed after Close.
func (l *Ledger) trySend(it *item) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false, ErrClosed
	}
	select {
	case l.queue <- it:
		l.queued(it)
		return true, nil
	default:
		return false, nil
	}
}

// send hands it to the writer, waiting for room in the queue until ctx
// ends or timeout fires (nil: no timeout; it fires after Options.EnqueueWait).
func (l *Ledger) send(ctx context.Context, timeout <-chan time.Time, it *item) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	select {
	case l.queue <- it:
		l.queued(it)
		return nil
	default:
	}
	select {
	case l.queue <- it:
		l.queued(it)
		return nil
	case <-l.closing:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("ledger: queue full: %w", ctx.Err())
	case <-timeout:
		return fmt.Errorf("ledger: queue full for %v (database writes failing?)", l.opts.EnqueueWait)
	}
}

// queued wakes the writer for it when needed. Records nobody waits on
// (CaptureAsync) are gathered on a timer rather than taken as they come (a
// goroutine wake-up per capture); someone waiting (Enqueue, Commit, Sync),
// a full batch or a queue filling up wakes it at once. A waiter that
// arrives while a transaction is being written leaves the wake-up pending,
// and the writer takes it, with everyone else who arrived meanwhile, as
// soon as that transaction ends: one commit for all of them.
func (l *Ledger) queued(it *item) {
	if it.done != nil || len(l.queue) >= min(cap(l.queue)/2, l.opts.MaxBatch) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// maxBacklog bounds the records the writer holds while the database is
// failing. Past it the writer stops taking from the queue, the queue
// fills, and Commit waits (bounded by its ctx) instead of memory growing.
func (l *Ledger) maxBacklog() int { return 4 * l.opts.QueueSize }

// writer is the single goroutine that takes records from the queue. Each
// round it gathers what is queued (up to MaxBatch, for up to
// FlushInterval unless someone waits) and persists it: with a row log,
// one append of its rows, after which the indexer commits them; without,
// one transaction. Then it wakes those records' waiters. An append or a
// commit costs the same few system calls whether it holds one row or
// hundreds, and the rows that arrive while one is written share the
// next, so the more requests finish at once the more each write holds,
// and no waiter sleeps on a timer.
func (l *Ledger) writer() {
	if l.rows == nil {
		defer l.releaseWriterConn()
	} else {
		defer close(l.indexStop) // after the final flush's hand-over
	}
	var backlog []*item     // records not yet committed, oldest first
	var batch, rest []*item // this round's transaction, and what waits
	for {
		if len(backlog) == 0 {
			select {
			case it := <-l.queue:
				backlog = append(backlog, it)
			case <-l.stop:
				l.finalFlush(nil)
				return
			}
		}
		backlog = l.gather(backlog, l.opts.MaxBatch)
		batch, rest = l.split(backlog, batch[:0], rest[:0])
		err := l.persist(batch)
		l.notifyPersisted(batch, err)
		if err == nil {
			l.setHealth(nil)
			backlog = append(backlog[:0], rest...)
			if len(rest) == 0 || !hasLazy(backlog) {
				l.lazyDue = time.Time{}
			}
			clear(batch) // keep no references to written records
			clear(rest)
			continue
		}
		clear(batch)
		clear(rest)
		l.setHealth(err)
		if !l.waitRetry(&backlog, err) {
			l.finalFlush(backlog)
			return
		}
	}
}

// gather moves queued items into backlog until it holds max items, an
// item with a waiter (Enqueue, Commit, Sync) arrives, FlushInterval has
// passed (since the oldest lazy item arrived, if backlog holds one) or the
// ledger is closing: it returns at once when backlog already holds a
// waiter's item. It sleeps meanwhile: enqueue wakes it only for a waiter
// or a half-full queue.
func (l *Ledger) gather(backlog []*item, max int) []*item {
	backlog = l.take(backlog, max)
	if len(backlog) >= max {
		return backlog
	}
	if hasWaiter(backlog) {
		return l.yieldAndTake(backlog, max)
	}
	if l.opts.FlushInterval < 0 {
		return backlog
	}
	wait := l.opts.FlushInterval
	if l.noteLazy(backlog) {
		// Captures left behind by earlier rounds are due sooner.
		if wait = time.Until(l.lazyDue); wait <= 0 {
			return backlog
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-l.wake:
		case <-timer.C:
			return l.take(backlog, max)
		case <-l.stop:
			return l.take(backlog, max)
		}
		backlog = l.take(backlog, max)
		if len(backlog) >= max {
			return backlog
		}
		if hasWaiter(backlog) {
			return l.yieldAndTake(backlog, max)
		}
	}
}

// yieldAndTake lets the goroutines that are runnable now run before the
// writer commits for a waiter, then takes what they queued. Requests
// finishing together then share the commit even where they cannot run
// beside the writer (one CPU, or every CPU busy): the writer woken by the
// first of them would otherwise commit it alone, and each of the others
// after it, one transaction each, since a transaction keeps its CPU busy
// from start to end. It costs a trip through the scheduler, no sleep.
func (l *Ledger) yieldAndTake(backlog []*item, max int) []*item {
	runtime.Gosched()
	return l.take(backlog, max)
}

// lazy reports whether it is a capture nobody waits for (CaptureAsync):
// it may wait up to FlushInterval for a transaction.
func (it *item) lazy() bool { return it.done == nil && it.req == nil && it.owner == nil }

// hasLazy reports whether one of items is lazy.
func hasLazy(items []*item) bool {
	for _, it := range items {
		if it.lazy() {
			return true
		}
	}
	return false
}

// noteLazy starts the FlushInterval of the lazy items in backlog when the
// first of them arrives, and reports whether backlog holds any (writer
// only).
func (l *Ledger) noteLazy(backlog []*item) bool {
	if !l.lazyDue.IsZero() {
		return true
	}
	if !hasLazy(backlog) {
		return false
	}
	l.lazyDue = time.Now().Add(max(l.opts.FlushInterval, 0))
	return true
}

// split chooses what this round commits, appending it to batch and the
// rest of backlog (in order) to rest. Normally that is backlog's head, up
// to MaxBatch records. But when someone waits for a row and the lazy
// records (captures nobody waits for) are not due yet, the transaction
// leaves those out: a capture's headers and bodies cost as many page
// writes as its row, and would make every request wait for the capture
// of the one before it. They go in a transaction of their own once
// FlushInterval has passed since the oldest of them arrived, and sooner
// when a Sync (which promises everything queued before it), a full batch
// or Close asks for everything.
func (l *Ledger) split(backlog, batch, rest []*item) ([]*item, []*item) {
	n := min(len(backlog), l.opts.MaxBatch)
	// With a row log nobody waits for the database, so captures cost
	// the waiters nothing: they go to the indexer with the rows.
	all := l.rows != nil || l.opts.FlushInterval < 0 || len(backlog) >= l.opts.MaxBatch || !l.noteLazy(backlog) ||
		!time.Now().Before(l.lazyDue) || hasSync(backlog) || l.stopping()
	if all {
		return append(batch, backlog[:n]...), append(rest, backlog[n:]...)
	}
	for _, it := range backlog {
		if !it.lazy() && len(batch) < l.opts.MaxBatch {
			batch = append(batch, it)
		} else {
			rest = append(rest, it)
		}
	}
	return batch, rest
}

// hasSync reports whether one of items is a Sync (a waiter with no data).
func hasSync(items []*item) bool {
	for _, it := range items {
		if it.done != nil && it.req == nil && it.capture == nil && it.owner == nil {
			return true
		}
	}
	return false
}

// stopping reports whether Close has begun the final flush.
func (l *Ledger) stopping() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// hasWaiter reports whether someone waits for one of items.
func hasWaiter(items []*item) bool {
	for _, it := range items {
		if it.done != nil {
			return true
		}
	}
	return false
}

// take moves queued items into backlog, without blocking, until backlog
// holds max items or the queue is empty.
func (l *Ledger) take(backlog []*item, max int) []*item {
	for len(backlog) < max {
		select {
		case it := <-l.queue:
			backlog = append(backlog, it)
		default:
			return backlog
		}
	}
	return backlog
}

// waitRetry waits RetryInterval after a failed write. Records arriving
// meanwhile join the backlog and their callers get err at once rather than
// hang until the disk recovers. It reports false when the ledger is
// closing.
func (l *Ledger) waitRetry(backlog *[]*item, err error) bool {
	timer := time.NewTimer(l.opts.RetryInterval)
	defer timer.Stop()
	for {
		q := l.queue
		if len(*backlog) >= l.maxBacklog() {
			q = nil // backpressure: leave records in the queue
		}
		select {
		case it := <-q:
			*backlog = append(*backlog, it)
			notify([]*item{it}, err)
		case <-timer.C:
			return true
		case <-l.stop:
			return false
		}
	}
}

// finalFlush writes backlog and everything still queued, for Close. No
// record can be enqueued any more when it runs. It makes one attempt:
// Close reports the error if it fails.
func (l *Ledger) finalFlush(backlog []*item) {
	backlog = l.take(backlog, len(backlog)+len(l.queue))
	for len(backlog) > 0 {
		n := min(len(backlog), l.opts.MaxBatch)
		err := l.persist(backlog[:n])
		l.setHealth(err)
		if err != nil {
			notify(backlog, err)
			l.logf("ledger: closing with %d records unwritten: %v", len(backlog), err)
			return
		}
		l.notifyPersisted(backlog[:n], nil)
		backlog = backlog[n:]
	}
}

// notify tells each item's waiter, once, how its write went.
func notify(items []*item, err error) {
	for _, it := range items {
		notify1(it, err)
	}
}

// notify1 tells it's waiter, if it has one that has not been told, how
// its write went.
func notify1(it *item, err error) {
	if it.notified || it.done == nil {
		return
	}
	it.done <- err
	it.notified = true
}

// setHealth records the outcome of a write, logging each transition
// between working and failing once rather than every retry.
func (l *Ledger) setHealth(err error) {
	l.noteHealth(&l.health, err, "", "")
}

// noteHealth stores err (nil: working) in h and logs the transitions,
// with failing and recovered added to the messages.
func (l *Ledger) noteHealth(h *atomic.Pointer[error], err error, failing, recovered string) {
	if err == nil {
		if old := h.Swap(nil); old != nil {
			l.logf("ledger: database writes recovered (were failing: %v)%s", *old, recovered)
		}
		return
	}
	if old := h.Swap(&err); old == nil {
		l.logf("ledger: DATABASE WRITES FAILING, %smetered requests will be refused until they recover: %v", failing, err)
	}
}

// writerConn is the connection the writer commits on in PostgreSQL
// (SQLite's writer has its own, sqliteConn), the same one transaction
// after transaction (writer goroutine only): its page cache
// holds the right edge of every index from one commit to the next, and
// its statements are prepared once. Taken from the pool for each
// transaction, the writer would sometimes get a connection whose cache
// another had made stale, which SQLite then empties and reads back (one
// likely source of the pread a request strace showed in the benchmark;
// issue #16).
func (l *Ledger) writerConn(ctx context.Context) (*sql.Conn, error) {
	if l.wconn != nil && time.Since(l.wconnAt) >= writerConnLifetime {
		// database/sql recycles only the connections in its pool; this
		// one follows a failover or a DNS change the same way.
		l.releaseWriterConn()
	}
	if l.wconn != nil {
		return l.wconn, nil
	}
	// The statements are prepared once and reused (parsing the SQL anew
	// in every transaction was a tenth of the gateway's CPU in the
	// benchmark profile), first on a pooled connection: the
	// pool hands back the one it was last given, so the writer usually
	// takes the connection that already has them, and they are not
	// prepared (and kept, SQLite's memory) on two.
	if err := l.prepareWriterLocked(ctx); err != nil {
		return nil, err
	}
	c, err := l.db.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	if err := l.warm(ctx, c); err != nil {
		c.Close()
		return nil, err
	}
	l.wconn, l.wconnAt = c, time.Now()
	return c, nil
}

// writerConnLifetime is how long the writer keeps a connection (as
// PostgreSQL's pool keeps its own, pgConnMaxLifetime).
const writerConnLifetime = pgConnMaxLifetime

// warm prepares every insert statement on c, in a transaction it rolls
// back, so that no commit prepares one (on PostgreSQL, a commit prepares
// inside the replicas' commit-order lock).
func (l *Ledger) warm(ctx context.Context, c *sql.Conn) error {
	tx, err := l.db.beginOn(ctx, c)
	if err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	defer tx.Rollback()
	for _, m := range []*multiInsert{l.insertReq, l.insertCap, l.insertOwner} {
		for _, s := range m.stmts {
			// StmtContext prepares s on the transaction's connection
			// (kept there for later transactions); an error would
			// surface again at the insert that needs it.
			tx.StmtContext(ctx, s).Close()
		}
	}
	return nil
}

// begin starts a write transaction on the writer's connection. A kept
// connection that died since its last write (a server restarted, a
// failover, an idle timeout on the way; the pool's ping would have found
// it) fails to begin: the transaction is begun once more on a fresh one.
func (l *Ledger) begin(ctx context.Context) (txn, error) {
	if l.db.d == sqliteDialect {
		if err := l.sc.begin(); err != nil {
			return txn{}, fmt.Errorf("begin: %w", err)
		}
		return txn{sc: l.sc, d: l.db.d}, nil
	}
	kept := l.wconn != nil
	wc, err := l.writerConn(ctx)
	if err != nil {
		return txn{}, err
	}
	tx, err := l.db.beginOn(ctx, wc)
	if err != nil && kept {
		l.releaseWriterConn()
		if wc, err = l.writerConn(ctx); err != nil {
			return txn{}, err
		}
		tx, err = l.db.beginOn(ctx, wc)
	}
	if err != nil {
		l.releaseWriterConn()
		return txn{}, fmt.Errorf("begin: %w", err)
	}
	return tx, nil
}

// releaseWriterConn gives the writer's connection back (writer only).
func (l *Ledger) releaseWriterConn() {
	if l.wconn != nil {
		l.wconn.Close()
		l.wconn = nil
	}
}

// prepareWriter prepares the writer's statements once (tests; write
// prepares them itself).
func (l *Ledger) prepareWriter(ctx context.Context) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	return l.prepareWriterLocked(ctx)
}

// prepareWriterLocked prepares the writer's statements once: on SQLite's
// write connection, or on the pool (PostgreSQL). writeMu is held.
func (l *Ledger) prepareWriterLocked(ctx context.Context) error {
	if l.insertReq != nil {
		return nil
	}
	if l.db.d == sqliteDialect && l.sc == nil {
		return ErrClosed
	}
	var ins [3]*multiInsert
	for i, t := range []struct {
		table string
		cols  []string
	}{{"requests", requestColumns}, {"captures", captureColumns}, {"response_owners", ownerColumns}} {
		var m *multiInsert
		var err error
		if l.db.d == sqliteDialect {
			m, err = prepareMultiRaw(l.sc, t.table, t.cols)
		} else {
			m, err = prepareMulti(ctx, &l.db, t.table, t.cols)
		}
		if err != nil {
			for _, p := range ins[:i] {
				p.Close()
			}
			return err
		}
		ins[i] = m
	}
	l.insertReq, l.insertCap, l.insertOwner = ins[0], ins[1], ins[2]
	if l.pace.y != nil {
		for _, m := range ins {
			m.paced(l.pace.pause, pacedChunk)
		}
	}
	return nil
}

// write commits items in one transaction.
func (l *Ledger) write(items []*item) (err error) {
	if !hasData(items) {
		return nil // only Syncs: everything before them is written
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	ctx := context.Background()
	if l.writeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.writeTimeout)
		defer cancel()
	}
	if l.db.d == sqliteDialect {
		if l.sc == nil {
			return ErrClosed // closeWriter: nothing writes any more
		}
		if err := l.prepareWriterLocked(ctx); err != nil {
			l.failCount.Add(1)
			return err
		}
	}
	if l.rows != nil {
		// No checkpoint while an index round writes (commitGate). The
		// writer's connection is its own (sqliteConn), not one waited
		// for from a pool the dashboard may fill, which would hold the
		// checkpoints up.
		l.commitGate.Lock()
		defer l.commitGate.Unlock()
	}
	l.pace.start()
	tx, err := l.begin(ctx)
	if err != nil {
		l.failCount.Add(1)
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			l.failCount.Add(1)
			// PostgreSQL: a connection a write failed on may be broken
			// (a server gone, a timed-out statement): the next write
			// takes another. SQLite's writer keeps its own connection
			// (a file's errors are the file's, not the connection's),
			// rolled back above.
			l.releaseWriterConn()
		}
	}()
	var reqs, owners, caps [][]any
	for _, it := range items {
		if it.req != nil { // capture-only items (CaptureAsync) have none
			reqs = append(reqs, it.req)
		}
		if it.owner != nil {
			owners = append(owners, it.owner)
		}
		if it.capture != nil {
			caps = append(caps, it.capture)
		}
	}
	// On PostgreSQL, replicas commit request rows one at a time, so that
	// requests.seq is commit order (see pgLockCommitOrder). The lock is
	// taken last, after the owners and the captures (up to megabytes) are
	// sent, so that the other replicas wait only for the request rows and
	// the commit. (No foreign keys tie those tables to requests there;
	// SQLite keeps the rows first, and its transactions are exclusive.)
	orderLock := len(reqs) > 0 && l.db.d == postgresDialect
	if !orderLock {
		if err = l.insertReq.exec(ctx, tx, reqs); err != nil {
			return err
		}
	}
	if err = l.insertOwner.exec(ctx, tx, owners); err != nil {
		return err
	}
	if err = l.insertCap.exec(ctx, tx, caps); err != nil {
		return err
	}
	if orderLock {
		if _, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, pgLockCommitOrder); err != nil {
			return fmt.Errorf("lock commit order: %w", err)
		}
		if err = l.insertReq.exec(ctx, tx, reqs); err != nil {
			return err
		}
	}
	rows := len(reqs)
	if h := l.hookWrite.Load(); h != nil {
		if err = (*h)(); err != nil {
			return err
		}
	}
	l.pace.pause()
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	l.txCount.Add(1)
	l.rowCount.Add(int64(rows))
	return nil
}

// hasData reports whether any of items has a row to write.
func hasData(items []*item) bool {
	return slices.ContainsFunc(items, (*item).hasData)
}

// hasData reports whether it has a row to write (a Sync has none).
func (it *item) hasData() bool { return it.req != nil || it.capture != nil || it.owner != nil }

// timerPool holds stopped timers for Enqueue's bounded wait, which every
// request makes: since Go 1.23 a stopped timer's channel holds no stale
// value, so one can be reset and reused safely. It is per ledger (a
// ledger's timers belong to the goroutines that use it, which matters to
// testing/synctest's bubbles).
type timerPool struct{ p sync.Pool }

func (tp *timerPool) get(d time.Duration) *time.Timer {
	if t, ok := tp.p.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

func (tp *timerPool) put(t *time.Timer) {
	t.Stop()
	tp.p.Put(t)
}
