package configsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/tsplug/ts-plug/gateway/config"
)

// DefaultPollInterval is how often a replica looks for a newer version
// even without a notification.
const DefaultPollInterval = 30 * time.Second

// Options configure a Syncer.
type Options struct {
	// DSN is the PostgreSQL connection string. The listener opens its own
	// connection with it (LISTEN needs one held for good), and DB is
	// opened from it when nil. It is never logged: it may hold a password.
	DSN string
	// DB, if set, is the pool queries and saves use (the ledger's); the
	// Syncer does not close it.
	DB *sql.DB
	// Origin names this replica in the author of a seeded version
	// ("seeded from ai-1's config file").
	Origin string
	// PollInterval is the safety-net poll; 0 means DefaultPollInterval.
	PollInterval time.Duration
	// Logf logs; nil means log.Printf.
	Logf func(format string, args ...any)
}

// Syncer keeps this replica on the database's latest config version.
type Syncer struct {
	db      *sql.DB
	ownDB   bool
	connCfg *pgx.ConnConfig
	opts    Options
	apply   func(Version) error

	// mu makes a save and the check for a newer version exclusive, so a
	// replica never re-applies the version it just saved, nor applies an
	// older one after it.
	mu      sync.Mutex
	running atomic.Pointer[Version]
	failed  atomic.Pointer[applyFailure]
	kick    chan struct{}

	listenerPID atomic.Uint32 // the listener connection's backend, for tests
	// beforeReconnect, when set (tests), runs before each reconnection.
	beforeReconnect func()
}

// applyFailure is the last version this replica could not apply.
type applyFailure struct {
	seq int64
	err error
}

// New checks the options; Start then joins the shared config.
func New(opts Options) (*Syncer, error) {
	if opts.DSN == "" {
		return nil, errors.New("configsync: no database connection string")
	}
	cc, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		// pgx's message does not repeat the password, but ours names nothing.
		return nil, errors.New("configsync: the database connection string does not parse")
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["application_name"] = "aperture config listener"
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	s := &Syncer{db: opts.DB, connCfg: cc, opts: opts, kick: make(chan struct{}, 1)}
	if s.db == nil {
		db, err := sql.Open("pgx", opts.DSN)
		if err != nil {
			return nil, errors.New("configsync: opening the database failed")
		}
		s.db, s.ownDB = db, true
	}
	s.running.Store(&Version{})
	return s, nil
}

// Close closes the pool New opened (not one given in Options.DB).
func (s *Syncer) Close() error {
	if s.ownDB {
		return s.db.Close()
	}
	return nil
}

// Start joins the shared config, under the advisory lock: if the table is
// empty, local (this replica's config file) becomes version 1, unless it
// holds literal secrets; otherwise the latest version wins and, when it
// differs from local, is handed to apply (which is expected to make it
// the running config and write it to the config file). apply is then
// also what Run hands newer versions to. The version this replica runs
// is returned.
func (s *Syncer) Start(ctx context.Context, local []byte, apply func(Version) error) (Version, error) {
	s.apply = apply
	tx, err := lockedTx(ctx, s.db)
	if err != nil {
		return Version{}, err
	}
	defer tx.Rollback()
	v, err := latest(ctx, tx)
	if err != nil {
		return Version{}, err
	}
	if v.Seq == 0 {
		if err := checkShareable(local); err != nil {
			return Version{}, fmt.Errorf("configsync: seeding the shared config from this replica's config file: %w", err)
		}
		author := "seeded from the config file"
		if s.opts.Origin != "" {
			author = "seeded from " + s.opts.Origin + "'s config file"
		}
		if v, err = insert(ctx, tx, local, author); err != nil {
			return Version{}, err
		}
		if err := tx.Commit(); err != nil {
			return Version{}, fmt.Errorf("config database: seeding: %w", err)
		}
		s.opts.Logf("shared config: seeded version %d from this replica's config file (hash %.12s)", v.Seq, v.Hash)
		s.setRunning(v)
		return withoutText(v), nil
	}
	if err := tx.Commit(); err != nil {
		return Version{}, fmt.Errorf("config database: %w", err)
	}
	if v.Hash != config.Hash(local) {
		if err := apply(v); err != nil {
			return Version{}, fmt.Errorf("configsync: applying shared config version %d (by %s): %w", v.Seq, v.Author, err)
		}
		s.opts.Logf("shared config: version %d (by %s) replaces this replica's config file", v.Seq, v.Author)
	}
	s.setRunning(v)
	return withoutText(v), nil
}

// Save stores text as the next version, announced to every replica, if
// the latest version is still the one this replica runs (ErrConflict
// otherwise) and text holds no literal secret (ErrLiteralSecrets). The
// caller applies it locally; this replica's listener then skips it.
func (s *Syncer) Save(ctx context.Context, text []byte, author string) (Version, error) {
	if err := checkShareable(text); err != nil {
		return Version{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := lockedTx(ctx, s.db)
	if err != nil {
		return Version{}, err
	}
	defer tx.Rollback()
	cur, err := latest(ctx, tx)
	if err != nil {
		return Version{}, err
	}
	if run := s.Running(); cur.Seq != run.Seq {
		return Version{}, &ConflictError{Latest: withoutText(cur)}
	}
	v, err := insert(ctx, tx, text, author)
	if err != nil {
		return Version{}, err
	}
	if err := tx.Commit(); err != nil {
		return Version{}, fmt.Errorf("config database: saving version %d: %w", v.Seq, err)
	}
	s.setRunning(v)
	return withoutText(v), nil
}

// Running is the version this replica runs (Seq 0 before Start).
func (s *Syncer) Running() Version { return *s.running.Load() }

// LastError is the newest version this replica failed to apply, and why;
// 0 and nil when it runs the latest it has seen.
func (s *Syncer) LastError() (int64, error) {
	if f := s.failed.Load(); f != nil && f.seq > s.Running().Seq {
		return f.seq, f.err
	}
	return 0, nil
}

// Status is the version this replica runs and the failure to apply a
// newer one, if any: what its heartbeat reports (replicas.Options.Config).
func (s *Syncer) Status() (int64, error) {
	_, err := s.LastError()
	return s.Running().Seq, err
}

// Listening reports whether the listener's connection is up: while it is
// not, versions saved elsewhere arrive by the poll or once it is back.
func (s *Syncer) Listening() bool { return s.listenerPID.Load() != 0 }

// Backend names the database, for /healthz.
func (s *Syncer) Backend() string { return "postgres" }

// Ping reports whether the database answers.
func (s *Syncer) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Syncer) setRunning(v Version) {
	v = withoutText(v)
	for {
		cur := s.running.Load()
		if cur.Seq >= v.Seq || s.running.CompareAndSwap(cur, &v) {
			return
		}
	}
}

func withoutText(v Version) Version {
	v.Text = nil
	return v
}

// Run keeps the replica on the latest version until ctx ends: it listens
// for notifications, and checks for a newer version on each, after each
// (re)connection of the listener, and every PollInterval. Call it after
// Start, which gives it the apply function.
func (s *Syncer) Run(ctx context.Context) {
	if s.apply == nil {
		s.opts.Logf("shared config: Run without Start: not following the shared config")
		return
	}
	go s.listen(ctx)
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.catchUp(ctx)
	}
}

// wake asks Run to look for a newer version.
func (s *Syncer) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// catchUp applies the latest version if it is newer than the running
// one. A version that fails to apply is not retried until a newer one
// comes (the replica keeps running its config, and LastError says why).
func (s *Syncer) catchUp(ctx context.Context) {
	s.mu.Lock()
	v, err := s.newer(ctx)
	s.mu.Unlock()
	if err != nil {
		s.opts.Logf("shared config: %v", err)
		return
	}
	if v.Seq == 0 {
		return
	}
	if err := s.apply(v); err != nil {
		s.failed.Store(&applyFailure{seq: v.Seq, err: err})
		s.opts.Logf("shared config: version %d (by %s) not applied, keeping version %d: %v", v.Seq, v.Author, s.Running().Seq, err)
		return
	}
	s.setRunning(v)
	s.opts.Logf("shared config: applied version %d (by %s, hash %.12s)", v.Seq, v.Author, v.Hash)
}

// newer is the latest version if this replica has neither applied nor
// failed it yet, else Seq 0.
func (s *Syncer) newer(ctx context.Context) (Version, error) {
	seq, err := latestSeq(ctx, s.db)
	if err != nil {
		return Version{}, err
	}
	if seq <= s.Running().Seq {
		return Version{}, nil
	}
	if f := s.failed.Load(); f != nil && f.seq >= seq {
		return Version{}, nil
	}
	return latest(ctx, s.db)
}
