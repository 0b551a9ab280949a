package ledger

import (
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
// "-rowlog-", a number). When the indexer takes the logged rows it closes
// the segment they are in, so later rows go to a new one, and it removes
// the segments once their rows are committed. Open inserts the rows of
// any segments left by a gateway that was killed (inserts are
// idempotent by ID, so rows that were also committed are not doubled)
// before anything else is written.
type rowLog struct {
	base string   // the database's path; segments are base-rowlog-N
	lock *os.File // held (flock) while the ledger is open
	buf  []byte   // append's encoding buffer (writer goroutine only)
	now  func() time.Time

	mu     sync.Mutex
	f      *os.File // the segment appended to; nil: open a new one first
	seq    uint64   // the number of the last segment opened
	segs   []string // segments holding rows not yet committed (f's last)
	items  []*item  // handed to the indexer, not yet taken
	rows   int      // request rows among items
	since  time.Time
	urgent bool // items hold a waiter for the database (Sync, Commit)
	// pending counts the rows appended and not yet committed to the
	// database: items' and the indexer's. It bounds the rows held in
	// memory while the database cannot be written.
	pending int

	wake chan struct{} // (1): the indexer has something to look at
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
	// segmentInfix separates the database's name from a segment's number.
	segmentInfix = "-rowlog-"
)

// errRowLogBusy is openRowLog's answer when another process holds the
// database's row log.
var errRowLogBusy = errors.New("another process has this database's row log open")

// openRowLog takes the row log of the SQLite database at path, and reads
// the rows of the segments a previous process left: they are its first
// items, to be indexed at once.
func openRowLog(path string, now func() time.Time, logf func(string, ...any)) (*rowLog, error) {
	lock, err := lockFile(path + segmentInfix + "lock")
	if err != nil {
		return nil, err
	}
	g := &rowLog{base: path, lock: lock, now: now, wake: make(chan struct{}, 1)}
	segs, err := g.segments()
	if err != nil {
		lock.Close()
		return nil, err
	}
	for _, s := range segs {
		g.seq = max(g.seq, s.n)
		items, err := readSegment(s.path)
		switch {
		case errors.Is(err, errTruncated):
			// The end of a write the process was killed in.
			logf("ledger: row log %s: kept its first %d rows: %v", s.path, len(items), err)
		case err != nil:
			// Garbled, or another release's rows: commit what reads, and
			// keep the file, under a name no Open replays or removes.
			keep := s.path + ".unread"
			if rerr := os.Rename(s.path, keep); rerr != nil {
				lock.Close()
				return nil, fmt.Errorf("row log %s: %v; and keeping it aside: %w", s.path, err, rerr)
			}
			logf("ledger: row log %s: committing its first %d rows; the rest is kept in %s: %v", s.path, len(items), keep, err)
			g.items = append(g.items, items...)
			continue
		}
		g.items = append(g.items, items...)
		g.segs = append(g.segs, s.path)
	}
	if n := len(g.items); n > 0 {
		logf("ledger: %d rows from %d row log segments of an earlier run go to the database now", n, len(segs))
		g.rows, g.pending, g.urgent, g.since = n, n, true, now()
	} else if len(g.segs) > 0 {
		g.urgent = true // empty leftovers: the first round removes them
	}
	return g, nil
}

type segment struct {
	path string
	n    uint64
}

// segments lists the row log's segment files, oldest first.
func (g *rowLog) segments() ([]segment, error) {
	names, err := filepath.Glob(globEscape(g.base) + segmentInfix + "*")
	if err != nil {
		return nil, fmt.Errorf("row log: %w", err)
	}
	var segs []segment
	for _, p := range names {
		n, err := strconv.ParseUint(strings.TrimPrefix(p, g.base+segmentInfix), 10, 64)
		if err != nil {
			continue // the lock file, or not ours
		}
		segs = append(segs, segment{p, n})
	}
	slices.SortFunc(segs, func(a, b segment) int { return cmpUint(a.n, b.n) })
	return segs, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// globEscape escapes the glob metacharacters in a path.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
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
// write, and hands all of batch to the indexer. It fails, handing over
// nothing, when the write fails or when max rows already wait for a
// database that cannot take them (stalled: its error).
func (g *rowLog) append(batch []*item, max int, stalled func() error) error {
	g.buf = g.buf[:0]
	rows, urgent := 0, false
	var err error
	for _, it := range batch {
		urgent = urgent || it.awaitIndex
		if it.req == nil {
			continue
		}
		rows++
		if g.buf, err = appendRecord(g.buf, it.req, it.owner); err != nil {
			return err
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if rows > 0 && g.pending+rows > max {
		err := errors.New("the database has not taken the rows logged so far")
		if s := stalled(); s != nil {
			err = fmt.Errorf("%w: %w", err, s)
		}
		return err
	}
	if len(g.buf) > 0 {
		if err := g.write(g.buf); err != nil {
			return err
		}
	}
	if len(g.items) == 0 {
		g.since = g.now()
	}
	wasEmpty := len(g.items) == 0
	g.items = append(g.items, batch...)
	g.rows += rows
	g.pending += rows
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
		g.f = f
		g.segs = append(g.segs, name)
	}
	if _, err := g.f.Write(b); err != nil {
		// The segment may now end in part of a record, which a replay
		// stops at: what comes next goes to a new segment.
		g.f.Close()
		g.f = nil
		return fmt.Errorf("row log: %w", err)
	}
	return nil
}

// take moves the items handed over so far to items, and the segments
// holding their rows to segs; later rows go to a new segment.
func (g *rowLog) take(items []*item, segs []string) ([]*item, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	items = append(items, g.items...)
	clear(g.items)
	g.items = g.items[:0]
	segs = append(segs, g.segs...)
	g.segs = g.segs[:0]
	if g.f != nil {
		g.f.Close()
		g.f = nil
	}
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
		g.mu.Unlock()
		var fire <-chan time.Time
		if urgent {
			return true
		}
		if has {
			wait := interval - g.now().Sub(since)
			if wait <= 0 {
				return true
			}
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

// committed removes segs, whose rows (n of them) are in the database.
// A segment that cannot be removed is replayed by the next Open, which
// changes nothing (inserts are idempotent).
func (g *rowLog) committed(segs []string, n int) error {
	g.mu.Lock()
	g.pending -= n
	g.mu.Unlock()
	var errs []error
	for _, s := range segs {
		if err := os.Remove(s); err != nil && !errors.Is(err, os.ErrNotExist) {
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
	if g.f != nil {
		g.f.Close()
		g.f = nil
	}
	g.lock.Close()
}
