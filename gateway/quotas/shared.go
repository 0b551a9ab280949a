package quotas

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for OpenShared

	"github.com/tsplug/ts-plug/gateway/config"
)

// The shared mode (NewShared) keeps every balance in PostgreSQL, which
// gateway replicas share, so a limit holds across any number of them
// (spec scale-out.md §2, §4). The database is the only source of truth
// for money: each reservation, extension and settlement is one
// transaction that locks the bucket rows in name order, brings them up to
// date with the same Go refill code as the in-memory mode (bucket.advance),
// applies the same rule (admit) and writes them back, under READ
// COMMITTED: the row lock makes it exact, without retries.
//
// A reservation is a row of quota_holds, charged to the buckets when it
// commits, before the request goes upstream; its settlement refunds what
// the request did not use (or charges the excess), deletes the row and
// records the charge in quota_charges, in one transaction.
// A replica renews its open holds every RenewEvery. Holds not renewed for
// HoldTimeout (their replica died, or could not settle) are deleted by a
// sweeper on any replica, their money kept charged, and recorded in
// quota_hold_releases: the request may have spent it upstream. A settle
// that arrives later still refunds what it did not use, once.
//
// Definitions (Configure) stay in each replica's memory: every replica
// loads the same config.

// ErrUnavailable is wrapped by every error a money operation returns when
// the shared database cannot be reached or fails. Reserve then refuses
// the request (fail closed).
var ErrUnavailable = errors.New("the quota database is unavailable")

// Defaults of SharedOptions.
const (
	DefaultRenewEvery  = 10 * time.Second
	DefaultHoldTimeout = 2 * time.Minute
)

// opTimeout bounds one money operation's transaction, lock waits included.
const opTimeout = 5 * time.Second

// SharedOptions tune the shared mode; zero values take the defaults.
type SharedOptions struct {
	// RenewEvery is how often a replica renews its open holds, retries
	// failed settlements and runs the sweeper.
	RenewEvery time.Duration
	// HoldTimeout is how long a hold may go unrenewed before the sweeper
	// releases it, money kept charged. It must be several RenewEvery.
	HoldTimeout time.Duration
}

// sharedStore is a Manager's link to the shared database.
type sharedStore struct {
	m           *Manager
	db          *sql.DB
	replica     string
	zone        *time.Location // the clock's, for times read back
	renewEvery  time.Duration
	holdTimeout time.Duration

	// configured is when this replica installed each definition's
	// current terms (Configure), guarded by m.mu and replaced, never
	// changed: a row last written under other terms is moved to the new
	// ones as of then, as the in-memory Configure does.
	configured map[string]time.Time

	mu      sync.Mutex
	open    map[string]struct{} // holds this replica renews
	retries []failedSettle      // settlements to try again
	locs    map[string]*time.Location
}

// sharedHold is a Reservation's row in quota_holds.
type sharedHold struct {
	id string
	mu sync.Mutex // serializes Extend and Settle; guards Reservation.settled
}

// NewShared returns a Manager whose balances and reservations live in db,
// a PostgreSQL database opened with the pgx driver, shared with the other
// replicas. replicaID names this replica on its holds (unique among live
// replicas; a restarted replica may reuse it). It creates the tables if
// they are missing. now is the clock (time.Now when nil): replicas' clocks
// should agree, as refill is computed from them.
func NewShared(db *sql.DB, replicaID string, now func() time.Time, opts SharedOptions) (*Manager, error) {
	if db == nil || replicaID == "" {
		return nil, errors.New("quotas: the shared mode needs a database and a replica ID")
	}
	realClock := now == nil
	if now == nil {
		now = time.Now
	}
	if opts.RenewEvery <= 0 {
		opts.RenewEvery = DefaultRenewEvery
	}
	if opts.HoldTimeout <= 0 {
		opts.HoldTimeout = DefaultHoldTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := migrate(ctx, db); err != nil {
		return nil, fmt.Errorf("creating the quota tables: %w", err)
	}
	if realClock {
		if err := checkClockSkew(ctx, db, time.Now); err != nil {
			return nil, err
		}
	}
	m := &Manager{now: now, saveEvery: SaveInterval, buckets: map[string]*bucket{}, pending: map[string]Balance{}}
	m.shared = &sharedStore{
		m: m, db: db, replica: replicaID, zone: now().Location(),
		renewEvery: opts.RenewEvery, holdTimeout: opts.HoldTimeout,
		open: map[string]struct{}{}, locs: map[string]*time.Location{},
	}
	return m, nil
}

// OpenShared opens the PostgreSQL database at dsn (a postgres:// URL or
// key=value string) and returns a shared Manager on it, and the database,
// which the caller closes once Run has returned.
func OpenShared(ctx context.Context, dsn, replicaID string, opts SharedOptions) (*Manager, *sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the quota database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("connecting to the quota database: %w", err)
	}
	m, err := NewShared(db, replicaID, nil, opts)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return m, db, nil
}

// schemaLockKey is the transaction-scoped advisory lock under which the
// tables are created: replicas starting at once would otherwise race in
// CREATE TABLE IF NOT EXISTS.
const schemaLockKey int64 = 0x71756f7461730001 // "quotas" 1

// schema creates the shared mode's tables. Bucket names use the "C"
// collation, so the database orders them as Go does (byte order): every
// transaction locks rows in that order, and so never deadlocks.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS quota_buckets (
		name        text COLLATE "C" PRIMARY KEY,
		def         text NOT NULL,   -- the config.Quotas definition it was last used under
		capacity    bigint NOT NULL, -- that definition's terms, nanodollars ...
		rate        text NOT NULL,
		rate_nanos  bigint NOT NULL,
		rate_period bigint NOT NULL, -- nanoseconds
		reset       text NOT NULL,
		location    text NOT NULL,
		nanos       bigint NOT NULL, -- the balance as of updated
		updated     timestamptz NOT NULL,
		anchor      timestamptz NOT NULL, -- refill accrues from here ...
		credited    bigint NOT NULL,      -- ... of which this much is in nanos
		reserved    bigint NOT NULL       -- held by the open holds on it
	)`,
	`CREATE TABLE IF NOT EXISTS quota_holds (
		id      text PRIMARY KEY,
		replica text NOT NULL,
		amount  bigint NOT NULL, -- nanodollars, in every bucket
		buckets text[] NOT NULL,
		created timestamptz NOT NULL,
		renewed timestamptz NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS quota_holds_renewed ON quota_holds (renewed)`,
	`CREATE TABLE IF NOT EXISTS quota_hold_releases (
		hold        text PRIMARY KEY,
		replica     text NOT NULL,
		amount      bigint NOT NULL,
		buckets     text[] NOT NULL,
		created     timestamptz NOT NULL,
		renewed     timestamptz NOT NULL,
		released    timestamptz NOT NULL,
		released_by text NOT NULL,
		settled     timestamptz, -- a settlement that came after the release
		cost        bigint       -- and the cost it settled at
	)`,
	`CREATE INDEX IF NOT EXISTS quota_hold_releases_released ON quota_hold_releases (released)`,
	// A settled hold's charge, written in the settlement's transaction:
	// with the open holds and the releases it accounts for every
	// nanodollar a bucket lost, even when the replica dies before the
	// request's ledger row is committed.
	`CREATE TABLE IF NOT EXISTS quota_charges (
		hold    text PRIMARY KEY,
		replica text NOT NULL,   -- that settled it
		held    bigint NOT NULL, -- what the hold had, nanodollars
		cost    bigint NOT NULL, -- what was charged, nanodollars
		buckets text[] NOT NULL,
		settled timestamptz NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS quota_charges_settled ON quota_charges (settled)`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLockKey); err != nil {
		return err
	}
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// now is the manager's clock to the microsecond, the database's
// precision, so that what is stored is what the refill was computed from.
func (s *sharedStore) now() time.Time { return s.m.now().Truncate(time.Microsecond) }

// definitions returns the current definitions and when each took its
// terms. Both maps are replaced by Configure, never changed, so they may
// be read without the lock.
func (s *sharedStore) definitions() (map[string]*config.Quota, map[string]time.Time) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.m.defs, s.configured
}

// noteChanges records when the definitions of next took their terms: now
// for the new and the changed, as before for the others. It returns the
// valid definitions whose terms changed from prev's. m.mu is held.
func (s *sharedStore) noteChanges(prev, next map[string]*config.Quota, now time.Time) (changed []string) {
	now = now.Truncate(time.Microsecond)
	at := make(map[string]time.Time, len(next))
	for name, q := range next {
		p := prev[name]
		if p != nil && p.Err == nil && q.Err == nil && sameTerms(p, q) {
			if t, ok := s.configured[name]; ok {
				at[name] = t
				continue
			}
		}
		at[name] = now
		if p != nil && q.Err == nil {
			changed = append(changed, name)
		}
	}
	s.configured = at
	return changed
}

// applyTerms moves the rows of the definitions whose terms Configure just
// changed to the new terms, as the in-memory Configure moves its buckets:
// so that a later edit starts from these terms (a capacity cut stays cut)
// however long the rows go unused. Rows it cannot reach now move when
// next used (revise); a failure is only logged.
func (s *sharedStore) applyTerms(defs []string) {
	if len(defs) == 0 {
		return
	}
	if err := s.applyTermsTx(defs); err != nil {
		slog.Warn("quota balances not moved to the new definitions yet; they move when next used", "definitions", defs, "err", err)
	}
}

func (s *sharedStore) applyTermsTx(names []string) error {
	now := s.now()
	defs, configured := s.definitions()
	const op = "moving balances to new definitions"
	return s.inTx(op, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+bucketCols+` FROM quota_buckets WHERE def = ANY($1) ORDER BY name FOR UPDATE`, names)
		if err != nil {
			return unavailable(op, err)
		}
		var bs []*bucket
		for rows.Next() {
			b, err := s.scanBucket(rows)
			if err != nil {
				rows.Close()
				return unavailable(op, err)
			}
			bs = append(bs, b)
		}
		if err := rows.Err(); err != nil {
			return unavailable(op, err)
		}
		for _, b := range bs {
			revise(b, b.def, defs, configured, now)
		}
		if _, err := tx.ExecContext(ctx, writeBuckets, bucketArgs(bs)...); err != nil {
			return unavailable(op, err)
		}
		return nil
	})
}

// errRollback ends an inTx function early: nothing is committed, and
// inTx returns nil.
var errRollback = errors.New("quotas: roll back")

// inTx runs f in one transaction of at most opTimeout and commits it
// unless f fails (or returns errRollback). A failure to begin or commit
// is wrapped as unavailable(op); f wraps its own database errors.
func (s *sharedStore) inTx(op string, f func(ctx context.Context, tx *sql.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(op, err)
	}
	defer tx.Rollback()
	if err := f(ctx, tx); err != nil {
		if errors.Is(err, errRollback) {
			return nil
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// revise brings b, as its row stored it, up to now under the current
// definitions, as the in-memory mode would have it (retune), for a change.
func revise(b *bucket, def string, defs map[string]*config.Quota, configured map[string]time.Time, now time.Time) {
	retune(b, def, defs, configured, now)
	b.advance(now)
}

// retune puts b, as its row stored it, under the current definitions, as
// the in-memory mode would have it: a row last written under other terms
// of its definition moves to the current ones as of when this replica
// took them (configured), as Configure moves a bucket; then, charged
// under another definition def, it moves to that one now, as Reserve
// does. Without a valid definition it keeps the terms it was stored
// with. Views use it alone: they show when a bucket last changed.
func retune(b *bucket, def string, defs map[string]*config.Quota, configured map[string]time.Time, now time.Time) {
	if q := defs[b.def]; q != nil && q.Err == nil {
		at := configured[b.def]
		if at.Before(b.updated) {
			at = b.updated
		}
		if at.After(now) {
			at = now
		}
		b.redefine(q, at)
	}
	if q := defs[def]; def != b.def && q != nil && q.Err == nil {
		b.def = def
		b.redefine(q, now)
	}
}

// unavailable wraps a database failure of op.
func unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// MaxClockSkew is how far a replica's clock may be from the database's
// when it starts. Refill is computed on the clock of the replica that
// touches a bucket, so a replica whose clock runs ahead refills early, by
// rate × skew (once): bounded by this.
const MaxClockSkew = 5 * time.Second

// checkClockSkew refuses a host whose clock (now) is more than
// MaxClockSkew from the database server's.
func checkClockSkew(ctx context.Context, db *sql.DB, now func() time.Time) error {
	before := now()
	var server time.Time
	if err := db.QueryRowContext(ctx, `SELECT clock_timestamp()`).Scan(&server); err != nil {
		return unavailable("reading the database's clock", err)
	}
	after := now()
	local := before.Add(after.Sub(before) / 2)
	if skew := local.Sub(server); skew > MaxClockSkew || skew < -MaxClockSkew {
		return fmt.Errorf("quotas: this host's clock is %v off the database server's (more than %v): replicas sharing spending limits refill them on their own clocks, so keep every clock in agreement (NTP) and start again",
			skew.Round(time.Second), MaxClockSkew)
	}
	return nil
}
