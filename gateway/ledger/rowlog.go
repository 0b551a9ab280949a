package ledger

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The row log is how a SQLite ledger makes a request's row durable
// before the answer's last bytes go out, without a SQLite transaction
// per group of requests. Each round the writer appends the rows it took
// to a log file with one write(2) (in the operating system's page
// cache, so it survives the gateway being killed, as a WAL commit with
// synchronous=NORMAL does) and wakes their waiters; the indexer
// goroutine then inserts what was logged into SQLite every
// IndexInterval (sooner for a Sync, or once indexRows rows wait), in one
// transaction of hundreds of rows instead of one of three or four.
//
// In the pinned benchmark (issue #16) a transaction cost the gateway
// about 16 write syscalls (SQLite writes a WAL frame for every page of
// the table and its five indexes that the commit touched, header and
// page apart), and the ledger was a third of the gateway's CPU: the
// requests waited for one commit per three rows.
//
// The log is a series of segment files beside the database (its path,
// "-rowlog-", a number). The writer appends to one segment across index
// rounds until it is retired (a second old, or 4 MiB; rowLog.cur); the
// indexer removes a retired segment once the round that took its last
// rows has committed them. Open inserts the rows of
// any segments left by a gateway that was killed (inserts are
// idempotent by ID, so rows that were also committed are not doubled)
// before anything else is written; a segment it cannot read to its end
// is committed as far as it reads and kept aside (".unread"). While the
// database is failing the writer goes on logging (answers go out) until
// maxBacklog items wait for the indexer, and created responses are found
// in memory meanwhile (StoredResponse).
type rowLog struct {
	base string   // the database's path; segments are base-rowlog-N
	lock *os.File // held (flock) while the ledger is open
	buf  []byte   // append's encoding buffer (writer goroutine only)

	mu  sync.Mutex
	f   *os.File // the segment appended to; nil: open a new one first
	seq uint64   // the number of the last segment opened
	// cur is f's name, opened at curAt, curBytes long. It outlives index
	// rounds (retire): creating a file cost this VM's file system 0.4 ms
	// (up to 2 ms), on the writer, that is on the requests' path, and
	// once per round that was 20-100 times a second (issue #16). Its
	// rows that are committed already and replayed after a crash are
	// ignored (inserts are idempotent).
	cur      string
	curAt    time.Time
	curBytes int64
	segs     []string // closed segments holding rows not yet committed
	items    []*item  // handed to the indexer, not yet taken
	rows     int      // request rows among items
	since    time.Time
	urgent   bool // items hold a waiter for the database (Sync, Commit)
	// pending counts the rows appended and not yet committed to the
	// database, and held the items handed over (rows, captures, Syncs)
	// not yet committed or dropped: items' and the indexer's. held bounds
	// what waits in memory while the database cannot be written.
	pending, held int
	// owners are the created responses among those rows: a lookup finds
	// them here until the database has them (StoredResponse).
	owners map[string]StoredResponse
	// damaged are segments of an earlier run that do not read to their
	// end: once their rows are committed they are kept aside, not removed.
	damaged map[string]bool

	wake chan struct{} // (1): the indexer has something to look at
	room *sync.Cond    // on mu: the indexer has let go of items
}

// Row log tuning.
const (
	// DefaultIndexInterval is how long a logged row may wait for the
	// indexer (Options.IndexInterval): long enough for a busy gateway to
	// gather a few hundred rows per transaction, short enough that the
	// dashboard's own writes and a crash's replay stay small.
	DefaultIndexInterval = 10 * time.Millisecond
	// indexRows is the rows that make the indexer start at once.
	indexRows = 1024
	// segmentBytes and segmentAge retire the segment appended to at the
	// next index round (rowLog.cur): its rows at a crash are at most a
	// second old, and a replay reads at most a few MiB.
	segmentBytes = 4 << 20
	segmentAge   = time.Second
	// segmentInfix separates the database's name from a segment's number.
	segmentInfix = "-rowlog-"
)

// errRowLogBusy is openRowLog's answer when another process holds the
// database's row log.
var errRowLogBusy = errors.New("another process has this database's row log open")

// openRowLog takes the row log of the SQLite database at path, and reads
// the rows of the segments a previous process left: they are its first
// items, to be indexed at once.
func openRowLog(path string, logf func(string, ...any)) (*rowLog, error) {
	lock, err := lockFile(path + segmentInfix + "lock")
	if err != nil {
		return nil, err
	}
	g := &rowLog{base: path, lock: lock, wake: make(chan struct{}, 1),
		owners: make(map[string]StoredResponse), damaged: make(map[string]bool)}
	g.room = sync.NewCond(&g.mu)
	segs, last, err := g.segments()
	if err != nil {
		lock.Close()
		return nil, err
	}
	g.seq = last
	for _, s := range segs {
		items, err := readSegment(s.path)
		if err != nil {
			// Cut short (a write that failed part way, an OS crash: a
			// killed process's write(2) completes) or garbled, or another
			// release's rows: commit what reads, and once that is done
			// keep the file under a name no Open replays, removes or
			// numbers a segment with (committed). Until then it keeps
			// its name: a run that cannot commit them leaves them to
			// the next.
			g.damaged[s.path] = true
			logf("ledger: row log %s: committing its first %d rows; then the file is kept as %s.unread (what follows byte the error names could not be read: look at it, then delete it): %v", s.path, len(items), s.path, err)
		}
		g.segs = append(g.segs, s.path)
		g.items = append(g.items, items...)
	}
	for _, it := range g.items {
		g.noteOwner(it)
	}
	if n := len(g.items); n > 0 {
		logf("ledger: %d rows from %d row log segments of an earlier run go to the database now (those it has already are skipped)", n, len(segs))
		g.rows, g.pending, g.held, g.urgent, g.since = n, n, n, true, time.Now()
	} else if len(g.segs) > 0 {
		g.urgent = true // empty leftovers: the first round removes them
	}
	return g, nil
}

// noteOwner records it's created response, if any, until it is committed
// (g.mu held, or g not yet shared).
func (g *rowLog) noteOwner(it *item) {
	if it.owner == nil {
		return
	}
	id, _ := it.owner[0].(string)
	principal, _ := it.owner[1].(string)
	var tokens int64
	switch n := it.owner[3].(type) {
	case int64:
		tokens = n
	case int:
		tokens = int64(n)
	}
	if _, ok := g.owners[id]; !ok { // the database keeps the first, too
		g.owners[id] = StoredResponse{Principal: principal, ContextTokens: max(tokens, 0)}
	}
}

// storedResponse looks id up among the logged rows not yet committed.
func (g *rowLog) storedResponse(id string) (StoredResponse, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.owners[id]
	return r, ok
}

type segment struct {
	path string
	n    uint64
}

// segments lists the row log's segment files, oldest first, and the
// highest number a segment or a segment kept aside (.unread) has.
func (g *rowLog) segments() (segs []segment, last uint64, err error) {
	dir, prefix := filepath.Split(g.base)
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return nil, 0, fmt.Errorf("row log: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), prefix+segmentInfix)
		if !ok {
			continue
		}
		p := g.base + segmentInfix + name
		live := !strings.HasSuffix(name, ".unread")
		n, err := strconv.ParseUint(strings.TrimSuffix(name, ".unread"), 10, 64)
		if err != nil {
			continue // the lock file, or not ours
		}
		last = max(last, n)
		if live {
			segs = append(segs, segment{p, n})
		}
	}
	slices.SortFunc(segs, func(a, b segment) int { return cmp.Compare(a.n, b.n) })
	return segs, last, nil
}

// readSegment decodes a segment's records into items. A segment ends
// where its last complete record does (a process killed while appending
// leaves part of one): the error says where a garbled or cut record
// stopped it, and items holds every row before.
func readSegment(path string) ([]*item, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var items []*item
	for off := 0; off < len(data); {
		req, owner, n, err := decodeRecord(data[off:])
		if err == nil && (len(req) != len(requestColumns) || (owner != nil && len(owner) != len(ownerColumns))) {
			// Written by a release with other columns: a release that
			// changes them must read the old records too.
			err = fmt.Errorf("a row of %d columns (and %d), this release writes %d (and %d)",
				len(req), len(owner), len(requestColumns), len(ownerColumns))
		}
		if err != nil {
			return items, fmt.Errorf("at byte %d of %d: %w", off, len(data), err)
		}
		items = append(items, &item{req: req, owner: owner})
		off += n
	}
	return items, nil
}

// append makes batch's rows durable, appending them to the log in one
// write, wakes their waiters (but those of awaitIndex items, which the
// indexer wakes) and hands all of batch to the indexer. A row that cannot
// be encoded (newItem bounds every column, so only a bug) fails alone:
// its waiter gets the error and the rest go on. append fails, handing
// over nothing, when the write fails or when max items already wait for
// a database that cannot take them (stalled: its error); while the
// database works it waits for the indexer to make room.
func (g *rowLog) append(batch []*item, max int, stalled func() error) error {
	g.buf = g.buf[:0]
	rows, urgent := 0, false
	for _, it := range batch {
		urgent = urgent || it.awaitIndex
		if it.req == nil {
			continue
		}
		b, err := appendRecord(g.buf, it.req, it.owner)
		if err != nil {
			notify([]*item{it}, err)
			it.req, it.owner, it.capture = nil, nil, nil
			continue
		}
		g.buf = b
		rows++
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.held > 0 && g.held+len(batch) > max {
		// The indexer is behind: wait for it (the queue fills behind
		// the writer, and Enqueue waits, bounded), unless the database
		// is failing.
		if s := stalled(); s != nil {
			return fmt.Errorf("the database has not taken the %d rows logged so far: %w", g.pending, s)
		}
		g.urgent = true
		select {
		case g.wake <- struct{}{}:
		default:
		}
		g.room.Wait()
	}
	if len(g.buf) > 0 {
		if err := g.write(g.buf); err != nil {
			return err
		}
	}
	// Woken before the indexer can see them, so that only the writer
	// touches these items' notified.
	for _, it := range batch {
		if !it.awaitIndex {
			notify1(it, nil)
		}
		g.noteOwner(it)
	}
	wasEmpty := len(g.items) == 0
	if wasEmpty {
		g.since = time.Now()
	}
	g.items = append(g.items, batch...)
	g.rows += rows
	g.pending += rows
	g.held += len(batch)
	g.urgent = g.urgent || urgent
	if wasEmpty || g.urgent || g.rows >= indexRows {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// write appends b to the current segment, opening a new one first if
// needed (g.mu held).
func (g *rowLog) write(b []byte) error {
	if g.f == nil {
		g.seq++
		name := g.base + segmentInfix + strconv.FormatUint(g.seq, 10)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("row log: %w", err)
		}
		g.f, g.cur, g.curAt, g.curBytes = f, name, time.Now(), 0
	}
	n, err := g.f.Write(b)
	g.curBytes += int64(n)
	if err != nil {
		// The segment may now end in part of a record, which a replay
		// stops at: what comes next goes to a new segment.
		g.retire()
		return fmt.Errorf("row log: %w", err)
	}
	return nil
}

// retire closes the segment appended to; its rows are committed with
// the next round, which then removes it (g.mu held).
func (g *rowLog) retire() {
	if g.f == nil {
		return
	}
	g.f.Close()
	g.segs = append(g.segs, g.cur)
	g.f, g.cur = nil, ""
}

// retiring reports whether the segment appended to is due to be retired
// (segmentBytes, segmentAge), and if not, in how long it will be by age
// (g.mu held).
func (g *rowLog) retiring() (bool, time.Duration) {
	if g.f == nil {
		return false, 0
	}
	left := segmentAge - time.Since(g.curAt)
	return g.curBytes >= segmentBytes || left <= 0, left
}

// take moves the items handed over so far to items, and the closed
// segments holding their rows to segs, for the indexer to commit and
// then remove. The segment appended to goes on (its rows are committed
// with these; a crash replays them, which changes nothing) unless it is
// due to retire, or last (Close): then it is closed and among segs.
func (g *rowLog) take(items []*item, segs []string, last bool) ([]*item, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	items = append(items, g.items...)
	clear(g.items)
	g.items = g.items[:0]
	if due, _ := g.retiring(); due || last {
		g.retire()
	}
	segs = append(segs, g.segs...)
	g.segs = g.segs[:0]
	g.rows, g.urgent = 0, false
	return items, segs
}

// due waits until the indexer should take what was handed over: a
// waiter for the database, indexRows rows, or interval since the oldest
// item. It reports false when stop closes first.
func (g *rowLog) due(interval time.Duration, stop <-chan struct{}) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		g.mu.Lock()
		has, urgent, since := len(g.items) > 0 || len(g.segs) > 0, g.urgent || g.rows >= indexRows, g.since
		var wait time.Duration
		if !has {
			// Nothing to commit: the segment appended to holds only
			// committed rows. Retire it once due, so that an idle
			// gateway keeps no file of committed rows for a replay to
			// read again.
			var due bool
			if due, wait = g.retiring(); due {
				g.retire()
				urgent = true
			}
		}
		g.mu.Unlock()
		var fire <-chan time.Time
		if urgent {
			return true
		}
		if has {
			wait = interval - time.Since(since)
			if wait <= 0 {
				return true
			}
		}
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			fire = timer.C
		}
		select {
		case <-g.wake:
		case <-fire:
		case <-stop:
			return false
		}
	}
}

// committed forgets items, whose rows are in the database (or which
// were dropped), and removes segs. A segment that cannot be removed is
// replayed by the next Open, which changes nothing (inserts are
// idempotent).
func (g *rowLog) committed(items []*item, segs []string) error {
	g.mu.Lock()
	for _, it := range items {
		if it.req != nil {
			g.pending--
		}
		if it.owner != nil {
			delete(g.owners, it.owner[0].(string))
		}
	}
	g.held -= len(items)
	g.room.Broadcast()
	var damaged map[string]bool // the few of an earlier run, if any
	if len(g.damaged) > 0 {
		damaged = make(map[string]bool)
		for _, s := range segs {
			if g.damaged[s] {
				damaged[s] = true
				delete(g.damaged, s)
			}
		}
	}
	g.mu.Unlock()
	var errs []error
	for _, s := range segs {
		var err error
		if damaged[s] {
			err = os.Rename(s, s+".unread")
		} else {
			err = os.Remove(s)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// logged is the number of rows appended and not yet committed.
func (g *rowLog) logged() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pending
}

// close closes the current segment and releases the lock. Segments
// still holding rows stay for the next Open.
func (g *rowLog) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.retire()
	g.lock.Close()
}

// behindRows and lateRows are how many logged rows make the indexer
// behind and late (pacer.tries): its pauses then yield once instead of
// waiting for a gap between requests, and then not at all. Under full
// load the gaps do not come, and the rows it holds meanwhile are memory
// (with their captures, a few KiB each): 128 is two rounds at 6,000
// requests a second. With 512 for behind, the gateway's RSS under load
// at concurrency 50 grew by 4 MiB (issue #16).
const (
	behindRows = 128
	lateRows   = 512
)
