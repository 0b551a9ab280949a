package configsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Channel is the NOTIFY channel a save announces its version on.
const Channel = "aperture_config"

// lockKey is the transaction-scoped advisory lock that serializes the
// schema's creation, seeding and saves (so the "edited from the latest
// version" check and the insert cannot interleave with another replica's).
const lockKey = 0x61706572_63666731 // "apercfg1"

const schema = `CREATE TABLE IF NOT EXISTS aperture_config (
	version  BIGSERIAL PRIMARY KEY,
	text     TEXT NOT NULL,
	hash     TEXT NOT NULL,
	author   TEXT NOT NULL,
	saved_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// Version is one saved config.
type Version struct {
	Seq     int64 // the version number; 0 means none
	Hash    string
	Author  string
	SavedAt time.Time
	Text    []byte // nil in what Running returns
}

// ErrConflict is returned by Save when the latest version is not the one
// this replica runs: someone saved on another replica meanwhile.
var ErrConflict = errors.New("another replica saved a newer config")

// ConflictError is ErrConflict with the latest version.
type ConflictError struct{ Latest Version }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v (version %d by %s)", ErrConflict, e.Latest.Seq, e.Latest.Author)
}
func (e *ConflictError) Unwrap() error { return ErrConflict }

// lockedTx begins a transaction holding the advisory lock, with the
// table created.
func lockedTx(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("config database: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockKey)); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("config database: taking the config lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("config database: creating aperture_config: %w", err)
	}
	return tx, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// latestSeq is the newest version number, 0 when there is none.
func latestSeq(ctx context.Context, q queryer) (int64, error) {
	var seq int64
	err := q.QueryRowContext(ctx, "SELECT COALESCE(max(version), 0) FROM aperture_config").Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("config database: reading the latest version: %w", err)
	}
	return seq, nil
}

// latest is the newest version with its text; Seq 0 when there is none.
func latest(ctx context.Context, q queryer) (Version, error) {
	var v Version
	var text string
	err := q.QueryRowContext(ctx, "SELECT version, text, hash, author, saved_at FROM aperture_config ORDER BY version DESC LIMIT 1").
		Scan(&v.Seq, &text, &v.Hash, &v.Author, &v.SavedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, nil
	}
	if err != nil {
		return Version{}, fmt.Errorf("config database: reading the latest version: %w", err)
	}
	v.Text = []byte(text)
	return v, nil
}

// insert adds text as the next version and announces it on Channel; the
// notification is delivered only if tx commits.
func insert(ctx context.Context, tx *sql.Tx, text []byte, author string) (Version, error) {
	v := Version{Hash: config.Hash(text), Author: author, Text: text}
	err := tx.QueryRowContext(ctx, "INSERT INTO aperture_config (text, hash, author) VALUES ($1, $2, $3) RETURNING version, saved_at",
		string(text), v.Hash, author).Scan(&v.Seq, &v.SavedAt)
	if err != nil {
		return Version{}, fmt.Errorf("config database: saving a version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, strconv.FormatInt(v.Seq, 10)); err != nil {
		return Version{}, fmt.Errorf("config database: announcing version %d: %w", v.Seq, err)
	}
	return v, nil
}
