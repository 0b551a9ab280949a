package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Defaults for Options fields left zero.
const (
	DefaultQueueSize     = 4096
	DefaultMaxBatch      = 1024
	DefaultRetryInterval = time.Second
	DefaultPurgeInterval = time.Hour
	DefaultFlushInterval = 10 * time.Millisecond
	DefaultEnqueueWait   = 30 * time.Second
	DefaultReadWait      = 2 * time.Second
	DefaultBusyTimeout   = 10 * time.Second

	maxConns = 8
	// cacheKiB is each SQLite connection's page cache (dsn).
	cacheKiB = 256
)

// ErrClosed is returned by Commit, Enqueue and CaptureAsync after Close.
var ErrClosed = errors.New("ledger: closed")

// ErrNotFound is returned by lookups of a row that does not exist.
var ErrNotFound = errors.New("ledger: not found")

// Options tunes a Ledger. The zero value is ready to use.
type Options struct {
	// Retention says when captures are purged. Nil keeps them forever;
	// the config's "database.retention" block is passed here (and may be
	// changed later with SetRetention).
	Retention *config.Retention
	// QueueSize bounds the number of records waiting for the writer
	// (DefaultQueueSize). A full queue makes Commit and Enqueue wait
	// (bounded), never drop.
	QueueSize int
	// MaxBatch bounds the records written in one transaction
	// (DefaultMaxBatch).
	MaxBatch int
	// FlushInterval is how long the writer lets records nobody waits on
	// (CaptureAsync) gather before it commits them in one transaction. A
	// row someone waits for (Enqueue, Commit) is committed at once,
	// without them; a Sync commits everything queued. It bounds the
	// captures a killed gateway can lose; rows are never among them
	// (DefaultFlushInterval). A negative value commits without waiting.
	FlushInterval time.Duration
	// RetryInterval is the wait between write attempts while the database
	// cannot be written (DefaultRetryInterval).
	RetryInterval time.Duration
	// EnqueueWait bounds how long Enqueue waits (for room in a full queue
	// and for its commit) and how long CaptureAsync waits for room
	// (DefaultEnqueueWait). The queue fills only while the database has
	// been failing for a while (the writer then holds 4×QueueSize records
	// and stops taking more), and a commit takes this long only on a
	// stalled disk; a caller would otherwise wait for as long as the disk
	// stays broken, holding its client's answer open.
	EnqueueWait time.Duration
	// ReadWait bounds how long a query waits for the records queued
	// before it to be committed (DefaultReadWait): a failing disk must not
	// also hang the dashboard.
	ReadWait time.Duration
	// PurgeInterval is how often expired captures are purged
	// (DefaultPurgeInterval).
	PurgeInterval time.Duration
	// SyncFull makes every commit fsync (synchronous=FULL), surviving power
	// loss as well as a killed process, at the cost of commit latency.
	// It commits each group of rows to SQLite itself, without the row
	// log, whose appends are not fsynced.
	SyncFull bool
	// NoRowLog commits each group of rows to SQLite before its waiters
	// go on, as on PostgreSQL, instead of appending them to the row log
	// (rowlog.go) and indexing them in batches. For tests of that path.
	NoRowLog bool
	// IndexInterval is how long a row may wait in the row log before the
	// indexer commits it to SQLite (DefaultIndexInterval); a Sync, or a
	// query, commits at once.
	IndexInterval time.Duration
	// Logf logs state changes (write failures, recoveries, purges).
	// Nil means log.Printf.
	Logf func(format string, args ...any)
	// Now is the clock for purges; nil means time.Now. For tests.
	Now func() time.Time

	// MaxConns bounds the connections to PostgreSQL (DefaultMaxConns);
	// SQLite ignores it.
	MaxConns int
	// StatementTimeout is PostgreSQL's statement_timeout for the ledger's
	// sessions (DefaultStatementTimeout), unless the URL sets one; SQLite
	// ignores it (its writes wait on busy_timeout).
	StatementTimeout time.Duration

	// checkpoint is when SQLite's WAL is checkpointed (tests; zero:
	// defaultCheckpointTiming).
	checkpoint checkpointTiming
}

// Ledger is the database-backed Sink: a SQLite file in WAL mode (Open)
// or a PostgreSQL database several gateways may share (OpenPostgres), a
// single writer goroutine that group-commits queued records, and query
// functions for the JSON API. It is safe for concurrent use.
type Ledger struct {
	// insertReq, insertCap and insertOwner are the writer's prepared
	// statements, made on its first write (writer goroutine only).
	insertReq, insertCap, insertOwner *multiInsert
	// wconn is the connection the writer commits on (writerConn), taken
	// at wconnAt: PostgreSQL's. SQLite's writes go through sc, a
	// connection of their own.
	wconn   *sql.Conn
	wconnAt time.Time
	sc      *sqliteConn
	// writeMu is held by write for the length of its transaction: one
	// goroutine at a time uses sc (and the writer's statements).
	writeMu sync.Mutex
	// lazyDue is when the oldest capture nobody waits for in the
	// writer's backlog is due to be committed; zero when there is none
	// (writer goroutine only).
	lazyDue time.Time
	timers  timerPool // Enqueue's waits
	// pace makes SQLite's writes give way to the requests now and then
	// (whoever writes: the indexer, or the writer without a row log).
	pace  pacer
	boxes boxCache // the rows' recurring strings, boxed once
	db    conn
	opts  Options
	// rows is the row log (SQLite); nil: the writer commits directly.
	rows *rowLog
	// path is the SQLite database's file; empty on PostgreSQL.
	path string
	// commitGate is held by the indexer for each of its transactions
	// and by the checkpointer for each of its checkpoints: between two
	// index rounds a checkpoint copies every frame, and the next round
	// starts the WAL over (checkpointTiming).
	commitGate sync.Mutex
	// indexStop is closed by the writer when it exits, for the indexer.
	indexStop   chan struct{}
	indexHealth atomic.Pointer[error] // non-nil while the indexer fails
	// writeTimeout bounds each write transaction (PostgreSQL: a server
	// that stalls must fail the writes, not hang the writer); zero for
	// SQLite, whose writes wait on busy_timeout.
	writeTimeout time.Duration
	logf         func(string, ...any)
	now          func() time.Time

	// queue carries records from Commit to the writer goroutine.
	queue chan *item
	// mu guards closed against concurrent enqueues: Commit holds it for
	// reading while it sends, Close for writing to shut the queue.
	mu      sync.RWMutex
	closed  bool
	wake    chan struct{} // (1) a waiter or a filling queue: write now
	closing chan struct{} // closed first by Close: wakes blocked senders
	stop    chan struct{} // closed once no sender can enqueue any more
	done    chan struct{} // closed when the writer and purger exit

	health    atomic.Pointer[error] // non-nil while writes fail
	retention atomic.Pointer[config.Retention]

	txCount     atomic.Int64
	rowCount    atomic.Int64
	failCount   atomic.Int64
	ckptCount   atomic.Int64          // WAL checkpoints run
	walFrames   atomic.Int64          // frames in the WAL at the last one
	walUncopied atomic.Int64          // of those, frames a reader kept it from copying
	ckptHealth  atomic.Pointer[error] // non-nil while checkpoints fail

	// hookWrite, when set (tests only), runs inside each write
	// transaction before it commits; an error aborts the transaction as a
	// failing disk would.
	hookWrite atomic.Pointer[func() error]
	// hookLog, when set (tests only), runs before each row log append;
	// an error fails it as a failing disk would.
	hookLog atomic.Pointer[func() error]
	// hookCheckpoint, when set (tests only), runs before each WAL
	// checkpoint; an error fails it as a failing disk would.
	hookCheckpoint atomic.Pointer[func() error]

	closeOnce sync.Once
	closeErr  error
}

var _ Sink = (*Ledger)(nil)

// Open opens (creating if needed) the ledger database at path, migrates
// its schema to the current version and starts the writer and the
// capture purge loop.
//
// The database runs in WAL mode with synchronous=NORMAL: a commit is
// appended to the write-ahead log with write(2), so it is in the operating
// system's page cache and survives the gateway being killed (even
// SIGKILL); only an OS crash or power loss can lose the last commits
// (never corrupt the file). Options.SyncFull trades write cost for
// surviving that too. Enqueue returns once its row is in the row log
// (rowlog.go: one write(2) per group, the same guarantee), which the
// indexer commits to the database within Options.IndexInterval; Commit
// and Sync return once the database has it; captures queued with
// CaptureAsync are committed within Options.FlushInterval plus
// IndexInterval; Close writes everything queued. Rows left in the row
// log by a gateway that was killed are committed first.
func Open(path string, opts Options) (*Ledger, error) {
	l := newLedger(opts)
	// Captures hold prompts and answers: create the file readable by its
	// owner only (SQLite gives the -wal and -shm files the same mode).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	f.Close()
	// Every connection, the pool's later ones too, opens the file the
	// path names now, resolved once: a symbolic link swapped (or a
	// relative path after a chdir) while the gateway runs would
	// otherwise send the pool's new connections to another file than
	// the writer's. SQLite puts the WAL beside that file, where walSize
	// looks for it. (The row log stays beside path.)
	l.path = resolvePath(path)
	db, err := sql.Open("sqlite", dsn(l.path, opts.SyncFull, l.opts.checkpoint.walLimit))
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	// One writer plus a few concurrent readers (WAL lets them run beside
	// the writer); more connections would only cost page-cache memory.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	// A reader connection (dashboard, API) that sits idle gives back its
	// page cache.
	db.SetConnMaxIdleTime(time.Minute)
	l.db = conn{db: db, d: sqliteDialect}
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: journal_mode is %q, want wal: %v", path, mode, err)
	}
	if err := migrate(ctx, &l.db, len(migrations)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	// The writer's connection, once the schema is there.
	if l.sc, err = openSQLiteConn(l.path, sqlitePragmas(opts.SyncFull, l.opts.checkpoint.walLimit)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: writer connection: %w", path, err)
	}
	if err := sameFile(ctx, db, l.sc, path); err != nil {
		l.sc.close()
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	if !opts.NoRowLog && !opts.SyncFull {
		rows, err := openRowLog(path, l.logf)
		if err != nil {
			l.logf("ledger: committing each group of rows to %s without a row log: %v", path, err)
		}
		l.rows = rows
	}
	l.start()
	return l, nil
}

// logged is the number of rows in the row log, not yet in the database.
func (l *Ledger) logged() int {
	if l.rows == nil {
		return 0
	}
	return l.rows.logged()
}

// newLedger returns a Ledger with opts' defaults filled in, before its
// database is opened.
func newLedger(opts Options) *Ledger {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	if opts.PurgeInterval <= 0 {
		opts.PurgeInterval = DefaultPurgeInterval
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.EnqueueWait <= 0 {
		opts.EnqueueWait = DefaultEnqueueWait
	}
	if opts.ReadWait <= 0 {
		opts.ReadWait = DefaultReadWait
	}
	if opts.IndexInterval <= 0 {
		opts.IndexInterval = DefaultIndexInterval
	}
	if opts.checkpoint.poll <= 0 {
		opts.checkpoint.poll = defaultCheckpointTiming.poll
	}
	if opts.checkpoint.every <= 0 {
		opts.checkpoint.every = defaultCheckpointTiming.every
	}
	if opts.checkpoint.walLimit <= 0 {
		opts.checkpoint.walLimit = defaultCheckpointTiming.walLimit
	}
	l := &Ledger{
		opts:    opts,
		logf:    opts.Logf,
		now:     opts.Now,
		queue:   make(chan *item, opts.QueueSize),
		wake:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),

		indexStop: make(chan struct{}),
	}
	if l.logf == nil {
		l.logf = log.Printf
	}
	if l.now == nil {
		l.now = time.Now
	}
	if opts.Retention != nil {
		r := *opts.Retention
		l.retention.Store(&r)
	}
	return l
}

// start runs the writer, the purger and, for SQLite, the WAL
// checkpointer (PostgreSQL checkpoints by itself).
func (l *Ledger) start() {
	if l.db.d == sqliteDialect {
		// SQLite's writes give way to the requests (pacer); with a row
		// log they wait for gaps between them while the log is short,
		// and without one (its commits are what requests wait for) they
		// yield once.
		l.pace.y, l.pace.every = newNetYield(), yieldEvery
		if l.rows != nil {
			l.pace.backlog = l.rows.logged
		}
	}
	var wg sync.WaitGroup
	if l.db.d == sqliteDialect {
		// Its connection first, while the pool has nothing else to do.
		cc := l.openCheckpointConn()
		wg.Go(func() { l.checkpointer(cc) })
	}
	wg.Go(l.writer)
	if l.rows != nil {
		wg.Go(l.indexer)
	}
	wg.Go(l.purger)
	go func() {
		wg.Wait()
		if l.pace.y != nil {
			l.pace.y.close()
		}
		l.closeWriter()
		if l.db.d == sqliteDialect {
			// The writer and the indexer have committed their last
			// rows: a full checkpoint leaves them in the main file.
			if _, err := l.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				l.logf("ledger: last checkpoint: %v", err)
			}
		}
		close(l.done)
	}()
}

// closeWriter closes SQLite's write connection and its statements, once
// nothing writes any more.
func (l *Ledger) closeWriter() {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.sc == nil {
		return
	}
	for _, m := range []*multiInsert{l.insertReq, l.insertCap, l.insertOwner} {
		if m != nil {
			m.Close()
		}
	}
	l.insertReq, l.insertCap, l.insertOwner = nil, nil, nil
	l.sc.close()
	l.sc = nil
}

// resolvePath is path absolute, its symbolic links followed; path itself
// if that fails.
func resolvePath(path string) string {
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return path
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// sameFile checks that the pool and the writer's connection both have
// the file at path open (the one Open created, readable by its owner
// only): rows written to another would be lost to every query.
func sameFile(ctx context.Context, db *sql.DB, sc *sqliteConn, path string) error {
	var seq int
	var name, pool string
	if err := db.QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &name, &pool); err != nil {
		return fmt.Errorf("database_list: %w", err)
	}
	want, err := os.Stat(path)
	if err != nil {
		return err
	}
	for _, c := range []struct{ who, file string }{{"the connection pool", pool}, {"the writer's connection", sc.filename()}} {
		if fi, err := os.Stat(c.file); err != nil || !os.SameFile(fi, want) {
			return fmt.Errorf("%s opened %q, another file than %s names: give the ledger a plain absolute path (--database), without symbolic links that change", c.who, c.file, path)
		}
	}
	return nil
}

// dsn builds the modernc.org/sqlite connection string. The pragmas run on
// every pooled connection. Transactions begin IMMEDIATE so a writer waits
// on busy_timeout for the write lock up front instead of failing when it
// upgrades a read snapshot.
func dsn(path string, syncFull bool, walLimit int64) string {
	q := url.Values{}
	for _, p := range sqlitePragmas(syncFull, walLimit) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return sqliteURI(path) + "?" + q.Encode()
}

// sqliteURI names the database file at path as a SQLite URI filename,
// for every connection to it (the pool's dsn, the writer's, Backup's).
// SQLite decodes %XX and ends the path at "?" or "#" (and the driver
// looks for its own parameters after the first "?"), so those three are
// escaped: the file opened is the one path names, the one Open created.
// An absolute path gets an empty authority ("file:///x"), so that one
// starting "//" is not read as a host; the path is otherwise left as
// given (cleaning it would resolve "link/.." by its text, not as the
// kernel does, after following the link).
func sqliteURI(path string) string {
	if strings.HasPrefix(path, "/") {
		return "file://" + uriPathEscaper.Replace(path)
	}
	return "file:" + uriPathEscaper.Replace(path)
}

var uriPathEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// sqlitePragmas are the settings of every connection to a SQLite ledger:
// the pool's (dsn) and the writer's own (sqliteConn), in the driver's
// _pragma form, "name(value)".
func sqlitePragmas(syncFull bool, walLimit int64) []string {
	sync := "NORMAL"
	if syncFull {
		sync = "FULL"
	}
	return []string{
		"journal_mode(WAL)",
		"synchronous(" + sync + ")",
		fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()),
		"foreign_keys(ON)",
		// 256 KiB of page cache per connection (SQLite's default is 2 MiB),
		// outside the Go heap (modernc's libc allocates it), so neither GOGC
		// nor GOMEMLIMIT bounds it: the writer's working set is the right
		// edge of each index, reads of older rows come from the OS's page
		// cache, and the gateway's whole RSS budget under load is 40 MiB
		// (1 MiB per connection cost 3-4 MiB of it; issue #16).
		"cache_size(" + strconv.Itoa(-cacheKiB) + ")",
		// No automatic checkpoints: SQLite would run them inside the commit
		// that crosses the threshold, stalling every request waiting on that
		// group commit (the p99 of the benchmark). checkpointer does them on
		// its own connection instead.
		"wal_autocheckpoint(0)",
		// A WAL that held more than walLimit is cut back to it once it
		// starts over (checkpointTiming); the writer's commit is what
		// starts it over.
		"journal_size_limit(" + strconv.FormatInt(walLimit, 10) + ")",
	}
}

// DB is the ledger's database, for code that keeps its own tables in
// it (the shared quota store, config sync). Queries on it take the
// backend's own placeholders (? for SQLite, $1 for PostgreSQL; see
// Backend). The ledger closes it in Close.
func (l *Ledger) DB() *sql.DB { return l.db.db }

// Backend is the database the ledger is in: BackendSQLite or
// BackendPostgres.
func (l *Ledger) Backend() string { return l.db.d.name }

// Ping checks that the database answers, for health checks: on
// PostgreSQL it is a round trip to the server; SQLite, a file, always
// answers (Healthy reports whether writes work).
func (l *Ledger) Ping(ctx context.Context) error {
	if err := l.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ledger: %s database unreachable: %w", l.Backend(), err)
	}
	return nil
}

// Healthy returns nil while the ledger can write, and the last write
// error while it cannot. The writer keeps retrying in the background and
// Healthy returns nil again once a write succeeds.
func (l *Ledger) Healthy() error {
	if p := l.health.Load(); p != nil {
		return *p
	}
	return l.indexHealthy()
}

// SetRetention replaces the capture retention policy, for config reloads.
// Nil keeps captures forever.
func (l *Ledger) SetRetention(r *config.Retention) {
	if r == nil {
		l.retention.Store(nil)
		return
	}
	c := *r
	l.retention.Store(&c)
}

// Stats are counters of the writer, for metrics and tests.
type Stats struct {
	Transactions int64 // write transactions committed
	Rows         int64 // records committed
	Failures     int64 // write transactions (or row log appends) that failed
	Queued       int   // records waiting for the writer now
	Logged       int   // rows in the row log, not yet in the database
	// Checkpoints counts SQLite's WAL checkpoints. WALFrames is how many
	// frames (pages) the WAL held at the last one, and WALFramesUncopied
	// how many of them it could not copy back because a reader still
	// needed them.
	Checkpoints, WALFrames, WALFramesUncopied int64
}

// Stats returns the writer's counters.
func (l *Ledger) Stats() Stats {
	return Stats{
		Transactions: l.txCount.Load(),
		Rows:         l.rowCount.Load(),
		Failures:     l.failCount.Load(),
		Queued:       len(l.queue),
		Logged:       l.logged(),

		Checkpoints:       l.ckptCount.Load(),
		WALFrames:         l.walFrames.Load(),
		WALFramesUncopied: l.walUncopied.Load(),
	}
}

// Close stops accepting records, writes everything already queued, stops
// the background loops and closes the database. It returns the write error
// if queued records could not be written.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		close(l.closing)
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.stop)
		<-l.done
		err := l.Healthy()
		if l.rows != nil {
			l.rows.close()
		}
		if cerr := l.db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close ledger: %w", cerr)
		}
		l.closeErr = err
	})
	return l.closeErr
}
