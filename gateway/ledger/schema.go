package ledger

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations is the schema history: migrations[i] takes a database from
// version i to version i+1. Steps are only ever appended, never edited,
// so a database written by any earlier release upgrades in order.
//
// Times are unix nanoseconds (UTC). Money is integer nanodollars.
var migrations = []string{
	// 1: one metric row per request.
	`CREATE TABLE requests (
		id                       TEXT PRIMARY KEY,
		time                     INTEGER NOT NULL,
		login_name               TEXT NOT NULL DEFAULT '',
		node                     TEXT NOT NULL DEFAULT '',
		stable_node_id           TEXT NOT NULL DEFAULT '',
		tags                     TEXT NOT NULL DEFAULT '',
		principal                TEXT NOT NULL DEFAULT '',
		provider                 TEXT NOT NULL DEFAULT '',
		model                    TEXT NOT NULL DEFAULT '',
		api                      TEXT NOT NULL DEFAULT '',
		stream                   INTEGER NOT NULL DEFAULT 0,
		status                   INTEGER NOT NULL DEFAULT 0,
		duration_ms              INTEGER NOT NULL DEFAULT 0,
		ttfb_ms                  INTEGER NOT NULL DEFAULT 0,
		input_tokens             INTEGER NOT NULL DEFAULT 0,
		output_tokens            INTEGER NOT NULL DEFAULT 0,
		cached_tokens            INTEGER NOT NULL DEFAULT 0,
		cache_creation_tokens    INTEGER NOT NULL DEFAULT 0,
		cache_creation_5m_tokens INTEGER NOT NULL DEFAULT 0,
		cache_creation_1h_tokens INTEGER NOT NULL DEFAULT 0,
		reasoning_tokens         INTEGER NOT NULL DEFAULT 0,
		cost_nanodollars         INTEGER,
		session_id               TEXT NOT NULL DEFAULT '',
		interrupted              INTEGER NOT NULL DEFAULT 0,
		error                    TEXT NOT NULL DEFAULT '',
		user_agent               TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX requests_time ON requests(time);
	CREATE INDEX requests_principal_time ON requests(principal, time);
	CREATE INDEX requests_model_time ON requests(model, time);
	CREATE INDEX requests_session ON requests(session_id, time);`,

	// 2: captured headers and bodies, gzip-compressed, purged by retention
	// independently of the metric rows.
	`CREATE TABLE captures (
		request_id       TEXT PRIMARY KEY,
		created          INTEGER NOT NULL,
		request_headers  BLOB,
		response_headers BLOB,
		request_body     BLOB,
		response_body    BLOB,
		truncated        INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX captures_created ON captures(created);`,

	// 3: quota bucket balances, so they survive restarts.
	`CREATE TABLE quota_balances (
		bucket        TEXT PRIMARY KEY,
		balance_nanos INTEGER NOT NULL,
		updated       INTEGER NOT NULL
	);`,

	// 4: every saved configuration, for audit and rollback.
	`CREATE TABLE config_history (
		seq    INTEGER PRIMARY KEY AUTOINCREMENT,
		time   INTEGER NOT NULL,
		hash   TEXT NOT NULL,
		author TEXT NOT NULL DEFAULT '',
		config TEXT NOT NULL
	);`,

	// 5: export bookkeeping, for database.retention.require_export.
	`ALTER TABLE captures ADD COLUMN exported INTEGER;`,

	// 6: who created each stored OpenAI response, so that only they can
	// read or delete it by ID through the gateway's shared provider key.
	`CREATE TABLE response_owners (
		id        TEXT PRIMARY KEY,
		principal TEXT NOT NULL,
		created   INTEGER NOT NULL
	);`,

	// 7: how far a row's numbers can be trusted. estimated: the counts are
	// the gateway's estimate (the answer ended before the provider's final
	// usage). unpriced: comma-separated cost components the gateway could
	// not price (e.g. "web_search"), which the cost leaves out. Rows of
	// earlier releases are neither.
	`ALTER TABLE requests ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE requests ADD COLUMN unpriced TEXT NOT NULL DEFAULT '';`,

	// 8: S3 export. export_state keeps, per exporter, how far the requests
	// table (in rowid order, which is commit order) has been exported, and
	// the batch planned but not yet confirmed, so that a retry after a
	// crash uploads the same rows under the same object name. through_id
	// is the ID of the row at through, to find the position again should
	// rowids ever be renumbered (a VACUUM by hand). path is the request
	// path, which export records carry; rows written before it, or by a
	// writer that does not set it, have "".
	`CREATE TABLE export_state (
		exporter           TEXT PRIMARY KEY,
		through            INTEGER NOT NULL DEFAULT 0,
		through_id         TEXT NOT NULL DEFAULT '',
		pending_through    INTEGER,
		pending_through_id TEXT,
		pending_records    INTEGER,
		pending_object     TEXT,
		last_object_unix   INTEGER NOT NULL DEFAULT 0,
		updated            INTEGER NOT NULL
	);
	ALTER TABLE requests ADD COLUMN path TEXT NOT NULL DEFAULT '';`,
	// local_user: the local OS user a shared ts-unplug device named for
	// the request (Tailscale-Local-User), for devices the config lists in
	// shared_device_tags; "" for every other caller.
	`ALTER TABLE requests ADD COLUMN local_user TEXT NOT NULL DEFAULT '';`,
	// context_tokens: the input a request continuing the stored response
	// carries (its input plus its output), so that the continuation's
	// hold is exact after the gateway's memory of it is gone (a restart,
	// or more recent responses); NULL when unknown.
	`ALTER TABLE response_owners ADD COLUMN context_tokens INTEGER;`,
}

// schemaVersion returns the database's schema version (0 when new).
func schemaVersion(ctx context.Context, c *conn) (int, error) {
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_version: %w", err)
	}
	var v sql.NullInt64
	if err := c.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema_version: %w", err)
	}
	return int(v.Int64), nil
}

// migrate brings the schema up to version target (len of the backend's
// migrations in production; tests stop earlier to build old databases).
// Each step and its version bump commit together, so a crash mid-upgrade
// resumes at the step that did not finish.
func migrate(ctx context.Context, c *conn, target int) error {
	if c.d.name == BackendPostgres {
		return migratePostgres(ctx, c, target)
	}
	v, err := schemaVersion(ctx, c)
	if err != nil {
		return err
	}
	steps := c.d.migrations
	if v > len(steps) {
		return fmt.Errorf("database schema version %d is newer than this gateway understands (%d): a newer aperture has opened it; run that release (or restore a backup taken before it)", v, len(steps))
	}
	for ; v < target; v++ {
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, steps[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if err := setSchemaVersion(ctx, tx, v+1); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to version %d: commit: %w", v+1, err)
		}
	}
	return nil
}

// setSchemaVersion records version v inside tx.
func setSchemaVersion(ctx context.Context, tx txn, v int) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version) VALUES (?)`, v); err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	return nil
}
