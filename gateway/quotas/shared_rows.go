package quotas

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// bucketCols are quota_buckets' columns in the order scanBucket reads and
// bucketArgs writes them.
const bucketCols = `name, def, capacity, rate, rate_nanos, rate_period, reset, location, nanos, updated, anchor, credited, reserved`

// lockOrCreateBucket creates the row of a bucket not used yet, full, or
// locks the existing one (the no-op update takes its row lock), and
// returns it as stored, and whether it was created (a row version no
// transaction has replaced has xmax 0): one statement per bucket, so
// that rows are locked one by one in the order the caller asks, created
// or not.
const lockOrCreateBucket = `INSERT INTO quota_buckets (` + bucketCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
	ON CONFLICT (name) DO UPDATE SET nanos = quota_buckets.nanos
	RETURNING ` + bucketCols + `, xmax = 0`

// withExtra scans a row with one more column after the bucket's.
type withExtra struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra)...) }

// lockBuckets locks existing rows, in name order.
const lockBuckets = `SELECT ` + bucketCols + ` FROM quota_buckets WHERE name = ANY($1) ORDER BY name FOR UPDATE`

// writeBuckets writes the rows bucketArgs gives as $1 to $13.
const writeBuckets = `UPDATE quota_buckets AS b SET def = u.def, capacity = u.capacity, rate = u.rate,
		rate_nanos = u.rate_nanos, rate_period = u.rate_period, reset = u.reset, location = u.location,
		nanos = u.nanos, updated = u.updated, anchor = u.anchor, credited = u.credited, reserved = u.reserved
	FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[],
		$9::bigint[], $10::timestamptz[], $11::timestamptz[], $12::bigint[], $13::bigint[])
		AS u(` + bucketCols + `)
	WHERE b.name = u.name`

// scanBucket reads one row. Its definition is rebuilt from the terms
// stored with it, which revise replaces with the current ones.
func (s *sharedStore) scanBucket(row interface{ Scan(...any) error }) (*bucket, error) {
	var b bucket
	var q config.Quota
	var period int64
	var loc string
	if err := row.Scan(&b.name, &b.def, &q.Capacity, &q.Rate, &q.RateNanos, &period, &q.Reset, &loc,
		&b.nanos, &b.updated, &b.anchor, &b.credited, &b.reserved); err != nil {
		return nil, err
	}
	q.Name, q.RatePeriod, q.Location, q.OnExceed = b.def, time.Duration(period), s.location(loc), "reject"
	b.updated, b.anchor = b.updated.In(s.zone), b.anchor.In(s.zone)
	b.q = &q
	return &b, nil
}

// bucketArgs are the rows of bs as the arrays writeBuckets takes.
func bucketArgs(bs []*bucket) []any {
	n := len(bs)
	names, defs, rates, resets, locs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	caps, rateNanos, periods := make([]int64, n), make([]int64, n), make([]int64, n)
	nanos, credited, reserved := make([]int64, n), make([]int64, n), make([]int64, n)
	updated, anchor := make([]time.Time, n), make([]time.Time, n)
	for i, b := range bs {
		names[i], defs[i] = b.name, b.def
		caps[i], rates[i], rateNanos[i], periods[i] = b.q.Capacity, b.q.Rate, b.q.RateNanos, int64(b.q.RatePeriod)
		resets[i], locs[i] = b.q.Reset, locationName(b.q)
		nanos[i], updated[i], anchor[i], credited[i], reserved[i] = b.nanos, b.updated, b.anchor, b.credited, b.reserved
	}
	return []any{names, defs, caps, rates, rateNanos, periods, resets, locs, nanos, updated, anchor, credited, reserved}
}

// rowArgs is one bucket's row as lockOrCreateBucket's arguments.
func rowArgs(b *bucket) []any {
	return []any{b.name, b.def, b.q.Capacity, b.q.Rate, b.q.RateNanos, int64(b.q.RatePeriod), b.q.Reset, locationName(b.q),
		b.nanos, b.updated, b.anchor, b.credited, b.reserved}
}

// locationName is how a definition's calendar time zone is stored: ""
// for none (UTC).
func locationName(q *config.Quota) string {
	if q.Location == nil {
		return ""
	}
	return q.Location.String()
}

// location returns the time zone stored as name, loaded once.
func (s *sharedStore) location(name string) *time.Location {
	if name == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.locs[name]; ok {
		return l
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = nil // UTC, as a definition without one
	}
	s.locs[name] = l
	return l
}

// lockRows locks the rows of names (those that exist), in name order.
func (s *sharedStore) lockRows(ctx context.Context, tx *sql.Tx, names []string) ([]*bucket, error) {
	rows, err := tx.QueryContext(ctx, lockBuckets, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*bucket
	for rows.Next() {
		b, err := s.scanBucket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// readRows reads the rows of names without locking them, or every row
// when names is nil, keyed by name.
func (s *sharedStore) readRows(ctx context.Context, names []string) (map[string]*bucket, error) {
	q, args := `SELECT `+bucketCols+` FROM quota_buckets`, []any(nil)
	if names != nil {
		q, args = q+` WHERE name = ANY($1)`, []any{names}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*bucket{}
	for rows.Next() {
		b, err := s.scanBucket(rows)
		if err != nil {
			return nil, err
		}
		out[b.name] = b
	}
	return out, rows.Err()
}

// bucketNames is the names of bs, sorted.
func bucketNames(bs []*bucket) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.name
	}
	slices.Sort(out)
	return out
}

// lockHeld locks the rows of the buckets a hold names (its buckets
// column read as JSON), for extending or settling it; op says which, in
// the error of a database that does not answer.
func (s *sharedStore) lockHeld(ctx context.Context, tx *sql.Tx, op, js string) ([]*bucket, error) {
	names, err := parseNames(js)
	if err != nil {
		return nil, err
	}
	bs, err := s.lockRows(ctx, tx, names)
	if err != nil {
		return nil, unavailable(op, err)
	}
	return bs, nil
}

// parseNames decodes a text[] read as JSON (to_json(buckets)), which
// database/sql cannot scan into a slice itself.
func parseNames(js string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		return nil, fmt.Errorf("reading a hold's buckets %q: %w", js, err)
	}
	return out, nil
}
