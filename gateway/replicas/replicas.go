// Package replicas keeps the list of gateway replicas sharing a
// PostgreSQL database: each writes a heartbeat row every few seconds (the
// aperture version it runs and the config version it has applied), and
// the dashboard lists them with how long ago each was last heard from. A
// replica stopped cleanly removes its row; one that died stays, marked
// stale, until it is pruned a day later.
package replicas

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"time"
)

// Defaults for Options.
const (
	DefaultInterval   = 5 * time.Second
	DefaultPruneAfter = 24 * time.Hour
)

// lockKey serializes the table's creation among replicas starting at once.
const lockKey = 0x61706572_72706c31 // "aperrpl1"

const schema = `CREATE TABLE IF NOT EXISTS aperture_replicas (
	id               TEXT PRIMARY KEY,
	hostname         TEXT NOT NULL,
	aperture_version TEXT NOT NULL,
	config_version   BIGINT NOT NULL DEFAULT 0,
	config_error     TEXT NOT NULL DEFAULT '',
	started_at       TIMESTAMPTZ NOT NULL,
	heartbeat_at     TIMESTAMPTZ NOT NULL
)`

// Replica is one row of the list.
type Replica struct {
	ID       string // unique among replicas: the tailnet device name
	Hostname string // the machine's name
	Version  string // aperture's version
	// ConfigSeq is the shared config version it runs; ConfigError why it
	// could not apply a newer one, if so.
	ConfigSeq   int64
	ConfigError string
	Started     time.Time
	Heartbeat   time.Time
	// Age is how long before the listing the last heartbeat was; Stale
	// is set once it is older than Options.StaleAfter.
	Age   time.Duration
	Stale bool
	Self  bool // the replica that made the listing
}

// Options configure a Registry.
type Options struct {
	ID       string // required
	Hostname string
	Version  string
	// Config reports the config version this replica runs and the last
	// failure to apply a newer one; nil reports 0.
	Config func() (seq int64, failure error)
	// Interval between heartbeats; 0 means DefaultInterval. StaleAfter
	// marks a replica stale; 0 means three intervals. PruneAfter removes
	// a dead replica's row; 0 means DefaultPruneAfter.
	Interval, StaleAfter, PruneAfter time.Duration
	// Now is the clock heartbeats are written and aged with; nil means
	// time.Now. Ages compare clocks of different hosts, so replicas'
	// clocks must agree to well within StaleAfter (NTP does).
	Now  func() time.Time
	Logf func(format string, args ...any)
}

// Registry is this replica's heartbeat and the list of all.
type Registry struct {
	db      *sql.DB
	opts    Options
	started time.Time
}

// New returns the registry of db; Start then joins it.
func New(db *sql.DB, opts Options) (*Registry, error) {
	if opts.ID == "" {
		return nil, errors.New("replicas: no replica id")
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 3 * opts.Interval
	}
	if opts.PruneAfter <= 0 {
		opts.PruneAfter = DefaultPruneAfter
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if opts.Hostname == "" {
		opts.Hostname = opts.ID
	}
	return &Registry{db: db, opts: opts}, nil
}

// Self is this replica's id.
func (r *Registry) Self() string { return r.opts.ID }

// StaleAfter is how old a heartbeat makes its replica stale.
func (r *Registry) StaleAfter() time.Duration { return r.opts.StaleAfter }

// Start creates the table if needed and writes the first heartbeat (a
// replica restarted under the same id takes its row over).
func (r *Registry) Start(ctx context.Context) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replicas: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockKey)); err != nil {
		return fmt.Errorf("replicas: taking the schema lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("replicas: creating aperture_replicas: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replicas: %w", err)
	}
	r.started = r.opts.Now()
	return r.Beat(ctx)
}

// Beat writes this replica's heartbeat, and removes the rows of replicas
// dead for longer than PruneAfter.
func (r *Registry) Beat(ctx context.Context) error {
	var seq int64
	var failure string
	if r.opts.Config != nil {
		var err error
		if seq, err = r.opts.Config(); err != nil {
			failure = err.Error()
		}
	}
	now := r.opts.Now()
	_, err := r.db.ExecContext(ctx, `INSERT INTO aperture_replicas
		(id, hostname, aperture_version, config_version, config_error, started_at, heartbeat_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET hostname = $2, aperture_version = $3, config_version = $4,
			config_error = $5, started_at = $6, heartbeat_at = $7`,
		r.opts.ID, r.opts.Hostname, r.opts.Version, seq, failure, r.started, now)
	if err != nil {
		return fmt.Errorf("replicas: heartbeat: %w", err)
	}
	if _, err := r.db.ExecContext(ctx, "DELETE FROM aperture_replicas WHERE heartbeat_at < $1 AND id <> $2",
		now.Add(-r.opts.PruneAfter), r.opts.ID); err != nil {
		return fmt.Errorf("replicas: pruning: %w", err)
	}
	return nil
}

// Run beats every Interval until ctx ends, then removes this replica's
// row: a replica that stopped cleanly is gone, not stale.
func (r *Registry) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			leave, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if _, err := r.db.ExecContext(leave, "DELETE FROM aperture_replicas WHERE id = $1", r.opts.ID); err != nil {
				r.opts.Logf("replicas: leaving the list: %v", err)
			}
			return
		case <-t.C:
		}
		err := r.Beat(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			r.opts.Logf("%v (other replicas will see this one as stale)", err)
		case err == nil && failing:
			r.opts.Logf("replicas: heartbeat written again")
		}
		failing = err != nil
	}
}

// List returns every replica, oldest start first, aged by this
// replica's clock.
func (r *Registry) List(ctx context.Context) ([]Replica, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, hostname, aperture_version, config_version, config_error, started_at, heartbeat_at
		FROM aperture_replicas ORDER BY started_at, id`)
	if err != nil {
		return nil, fmt.Errorf("replicas: listing: %w", err)
	}
	defer rows.Close()
	now := r.opts.Now()
	var out []Replica
	for rows.Next() {
		var p Replica
		if err := rows.Scan(&p.ID, &p.Hostname, &p.Version, &p.ConfigSeq, &p.ConfigError, &p.Started, &p.Heartbeat); err != nil {
			return nil, fmt.Errorf("replicas: listing: %w", err)
		}
		p.Age = max(now.Sub(p.Heartbeat), 0)
		p.Stale = p.Age > r.opts.StaleAfter
		p.Self = p.ID == r.opts.ID
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replicas: listing: %w", err)
	}
	return out, nil
}
