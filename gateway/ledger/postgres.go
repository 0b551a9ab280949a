package ledger

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Defaults of the PostgreSQL backend.
const (
	// DefaultMaxConns bounds a replica's connections to PostgreSQL:
	// replicas × MaxConns (plus what other code opens) must stay below
	// the server's max_connections.
	DefaultMaxConns = 10
	// DefaultStatementTimeout is the server's statement_timeout for the
	// ledger's sessions.
	DefaultStatementTimeout = 10 * time.Second
	// DefaultConnectTimeout bounds dialing the server, unless the URL
	// sets connect_timeout.
	DefaultConnectTimeout = 5 * time.Second
	// IdleInTransactionTimeout is how long the server lets a session sit
	// idle inside a transaction before it ends it and releases its locks:
	// a frozen or vanished replica holds up the others no longer.
	IdleInTransactionTimeout = 5 * time.Second
	// pgConnMaxLifetime recycles connections, so that a replica follows a
	// failover or a DNS change without a restart.
	pgConnMaxLifetime = 30 * time.Minute
)

// Advisory lock keys (pg_advisory_xact_lock's bigint key space), "aper"
// and a number. Each is held for one transaction only: a replica that
// dies mid-transaction releases it with its session.
const (
	// pgLockMigrate serializes schema migrations: replicas starting at
	// once migrate one after the other, and the later ones find the work
	// done.
	pgLockMigrate int64 = 0x61706572_0001
	// pgLockCommitOrder serializes the writers' transactions across
	// replicas, so that requests.seq (allocated inside them) is commit
	// order, which exports rely on: without it a replica could commit
	// seq 10 after another's seq 11 was exported, and 10 would never be.
	pgLockCommitOrder int64 = 0x61706572_0002
)

// keyValueDSN matches the start of a libpq "key=value ..." connection
// string ("host=db user=aperture password=..."), which pgx reads too.
var keyValueDSN = regexp.MustCompile(`^\s*[A-Za-z_]+\s*=`)

// IsPostgresURL reports whether target names a PostgreSQL database (a
// postgres:// or postgresql:// URL, or a libpq key=value string) rather
// than a SQLite file. A file whose name starts "word=" must be given as a
// path (./word=…): read as a SQLite file, a connection string would put
// the limits in a per-replica file and its password in the logs.
func IsPostgresURL(target string) bool {
	if keyValueDSN.MatchString(target) {
		return true
	}
	scheme, _, ok := strings.Cut(target, "://")
	if !ok {
		return false
	}
	scheme = strings.ToLower(scheme)
	return scheme == "postgres" || scheme == "postgresql"
}

// keyValuePassword matches a password (or sslpassword) in a key=value
// string, quoted or not.
var keyValuePassword = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// Redact returns target fit for a log line: a PostgreSQL URL or key=value
// string with its passwords (user info, password= and sslpassword=)
// replaced; a file path as is.
func Redact(target string) string {
	if !IsPostgresURL(target) {
		return target
	}
	if keyValueDSN.MatchString(target) {
		return keyValuePassword.ReplaceAllString(target, "${1}xxxxx")
	}
	u, err := url.Parse(target)
	if err != nil {
		scheme, _, _ := strings.Cut(target, "://")
		return scheme + "://(a URL that does not parse; not shown, it may hold a password)"
	}
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// OpenURL opens the ledger target names: a postgres:// or postgresql://
// URL opens it in PostgreSQL (OpenPostgres), anything else is the path
// of a SQLite file (Open).
func OpenURL(target string, opts Options) (*Ledger, error) {
	if IsPostgresURL(target) {
		return OpenPostgres(target, opts)
	}
	return Open(target, opts)
}

// OpenPostgres opens the ledger in the PostgreSQL database at dsn (a
// postgres:// URL, as pgx reads it), creates or migrates its schema and
// starts the writer and the capture purge loop, as Open does for SQLite.
// Several gateways (replicas) may share the database.
//
// Commits are the server's: durable as its synchronous_commit says (on
// by default). Each statement is bounded on the server by
// Options.StatementTimeout, and each write transaction on the client by
// Options.EnqueueWait, so a stalled server fails requests instead of
// hanging them.
func OpenPostgres(dsn string, opts Options) (*Ledger, error) {
	where := Redact(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", where, err)
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = DefaultStatementTimeout
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	// The URL's own settings win: an operator may know better.
	if _, ok := cfg.RuntimeParams["statement_timeout"]; !ok {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "aperture"
	}
	// A replica frozen or cut off inside a transaction (SIGSTOP, a paused
	// VM, a host that lost power or its network) would keep its locks, the
	// commit-order lock every replica's commits take and quota bucket
	// rows, until TCP noticed, hours later: every other replica's requests
	// would fail meanwhile. The server ends such a session instead: idle
	// in a transaction for IdleInTransactionTimeout (no transaction of
	// ours waits on its client that long), or unacknowledged on TCP for
	// tcp_user_timeout, with keepalives to find a silent peer.
	for k, v := range map[string]string{
		"idle_in_transaction_session_timeout": strconv.FormatInt(IdleInTransactionTimeout.Milliseconds(), 10),
		"tcp_user_timeout":                    "10000", // ms
		"tcp_keepalives_idle":                 "10",    // s
		"tcp_keepalives_interval":             "5",
		"tcp_keepalives_count":                "3",
	} {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	// Times are stored as integers, but the usage reports' days are
	// computed by the server: UTC, whatever the server's default.
	cfg.RuntimeParams["timezone"] = "UTC"
	l := newLedger(opts)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(l.opts.MaxConns)
	db.SetMaxIdleConns(l.opts.MaxConns)
	db.SetConnMaxIdleTime(time.Minute)
	db.SetConnMaxLifetime(pgConnMaxLifetime)
	l.db = conn{db: db, d: postgresDialect}
	l.writeTimeout = l.opts.EnqueueWait
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ConnectTimeout+l.opts.StatementTimeout)
	err = db.PingContext(ctx)
	cancel()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", where, err)
	}
	if err := migrate(context.Background(), &l.db, len(pgMigrations)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", where, err)
	}
	l.start()
	return l, nil
}

// migratePostgres is migrate for PostgreSQL: one transaction holding the
// migration lock, so replicas starting together never race to create the
// same table (the losers would fail), and a half-done upgrade never
// commits (PostgreSQL's DDL is transactional).
func migratePostgres(ctx context.Context, c *conn, target int) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	// A migration may rewrite a large table: no statement timeout here,
	// neither for it nor for the wait on another replica's (set first).
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, pgLockMigrate); err != nil {
		return fmt.Errorf("migrate: waiting for other replicas' migration: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("read schema_version: %w", err)
	}
	if v > len(pgMigrations) {
		return fmt.Errorf("database schema version %d is newer than this gateway understands (%d): another replica runs a newer aperture; run that release on every replica sharing this database", v, len(pgMigrations))
	}
	if v >= target {
		return nil
	}
	for ; v < target; v++ {
		if _, err := tx.ExecContext(ctx, pgMigrations[v]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	if err := setSchemaVersion(ctx, tx, v); err != nil {
		return fmt.Errorf("migrate to version %d: %w", v, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate to version %d: commit: %w", v, err)
	}
	return nil
}

// pgMigrations is the PostgreSQL schema history, as migrations is
// SQLite's: appended to, never edited. It starts at the SQLite schema's
// version 9 in one step; a later change to the schema appends a step to
// both lists. Types: times are BIGINT unix nanoseconds (UTC), money
// BIGINT nanodollars, flags BOOLEAN, captured headers and bodies BYTEA.
var pgMigrations = []string{
	// 1: the SQLite schema as of its version 9. requests.seq stands for
	// SQLite's rowid: the row's place in commit order, for exports.
	`CREATE TABLE requests (
		id                       TEXT PRIMARY KEY,
		seq                      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
		time                     BIGINT NOT NULL,
		login_name               TEXT NOT NULL DEFAULT '',
		node                     TEXT NOT NULL DEFAULT '',
		stable_node_id           TEXT NOT NULL DEFAULT '',
		tags                     TEXT NOT NULL DEFAULT '',
		principal                TEXT NOT NULL DEFAULT '',
		provider                 TEXT NOT NULL DEFAULT '',
		model                    TEXT NOT NULL DEFAULT '',
		api                      TEXT NOT NULL DEFAULT '',
		stream                   BOOLEAN NOT NULL DEFAULT false,
		status                   BIGINT NOT NULL DEFAULT 0,
		duration_ms              BIGINT NOT NULL DEFAULT 0,
		ttfb_ms                  BIGINT NOT NULL DEFAULT 0,
		input_tokens             BIGINT NOT NULL DEFAULT 0,
		output_tokens            BIGINT NOT NULL DEFAULT 0,
		cached_tokens            BIGINT NOT NULL DEFAULT 0,
		cache_creation_tokens    BIGINT NOT NULL DEFAULT 0,
		cache_creation_5m_tokens BIGINT NOT NULL DEFAULT 0,
		cache_creation_1h_tokens BIGINT NOT NULL DEFAULT 0,
		reasoning_tokens         BIGINT NOT NULL DEFAULT 0,
		cost_nanodollars         BIGINT,
		session_id               TEXT NOT NULL DEFAULT '',
		interrupted              BOOLEAN NOT NULL DEFAULT false,
		error                    TEXT NOT NULL DEFAULT '',
		user_agent               TEXT NOT NULL DEFAULT '',
		estimated                BOOLEAN NOT NULL DEFAULT false,
		unpriced                 TEXT NOT NULL DEFAULT '',
		path                     TEXT NOT NULL DEFAULT '',
		local_user               TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX requests_time ON requests(time);
	CREATE INDEX requests_principal_time ON requests(principal, time);
	CREATE INDEX requests_model_time ON requests(model, time);
	CREATE INDEX requests_session ON requests(session_id, time);

	CREATE TABLE captures (
		request_id       TEXT PRIMARY KEY,
		created          BIGINT NOT NULL,
		request_headers  BYTEA,
		response_headers BYTEA,
		request_body     BYTEA,
		response_body    BYTEA,
		truncated        BOOLEAN NOT NULL DEFAULT false,
		exported         BIGINT
	);
	CREATE INDEX captures_created ON captures(created);

	CREATE TABLE quota_balances (
		bucket        TEXT PRIMARY KEY,
		balance_nanos BIGINT NOT NULL,
		updated       BIGINT NOT NULL
	);

	CREATE TABLE config_history (
		seq    BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
		time   BIGINT NOT NULL,
		hash   TEXT NOT NULL,
		author TEXT NOT NULL DEFAULT '',
		config TEXT NOT NULL
	);

	CREATE TABLE response_owners (
		id        TEXT PRIMARY KEY,
		principal TEXT NOT NULL,
		created   BIGINT NOT NULL
	);

	CREATE TABLE export_state (
		exporter           TEXT PRIMARY KEY,
		through            BIGINT NOT NULL DEFAULT 0,
		through_id         TEXT NOT NULL DEFAULT '',
		pending_through    BIGINT,
		pending_through_id TEXT,
		pending_records    BIGINT,
		pending_object     TEXT,
		last_object_unix   BIGINT NOT NULL DEFAULT 0,
		updated            BIGINT NOT NULL
	);`,
	// 2: as SQLite's context_tokens (schema.go).
	`ALTER TABLE response_owners ADD COLUMN context_tokens BIGINT;`,
}
