package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Query selects request rows for the Logs API. Zero fields do not filter.
type Query struct {
	Limit int // rows to return; 0 = DefaultLimit, capped at MaxLimit
	// Before is the paging cursor: the ID of the last row of the previous
	// page, or an RFC 3339 time. Only older rows are returned.
	Before    string
	Principal string    // only this caller's rows ("" = everyone's)
	Model     string    // only this model
	SessionID string    // only this session
	From      time.Time // inclusive
	To        time.Time // exclusive
}

// Row is one request as the JSON API shows it. CostNanos is null when the
// cost is unknown (no price for the model, or no usage reported), which
// is not the same as free. Estimated says the token counts are the
// gateway's estimate (the answer ended before the provider's final
// usage); Unpriced lists, comma-separated, the cost components CostNanos
// leaves out because the gateway could not price them ("" when none).
type Row struct {
	ID                  string    `json:"id"`
	Time                time.Time `json:"time"` // UTC, marshals as RFC 3339 with nanoseconds
	LoginName           string    `json:"login_name"`
	Node                string    `json:"node"`
	Tags                []string  `json:"tags"`
	LocalUser           string    `json:"local_user,omitempty"`
	Provider            string    `json:"provider"`
	Model               string    `json:"model"`
	API                 string    `json:"api"`
	Stream              bool      `json:"stream"`
	Status              int       `json:"status"`
	DurationMS          int64     `json:"duration_ms"`
	TTFBMS              int64     `json:"ttfb_ms"`
	InputTokens         int64     `json:"input_tokens"`
	OutputTokens        int64     `json:"output_tokens"`
	CachedTokens        int64     `json:"cached_tokens"`
	CacheCreationTokens int64     `json:"cache_creation_tokens"`
	ReasoningTokens     int64     `json:"reasoning_tokens"`
	CostNanos           *int64    `json:"cost_nanodollars"`
	SessionID           string    `json:"session_id"`
	Interrupted         bool      `json:"interrupted"`
	Estimated           bool      `json:"estimated"`
	Unpriced            string    `json:"unpriced"`
}

// filter accumulates WHERE clauses and their arguments.
type filter struct {
	where []string
	args  []any
}

func (f *filter) add(clause string, args ...any) {
	f.where = append(f.where, clause)
	f.args = append(f.args, args...)
}

func (f *filter) sql() string {
	if len(f.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.where, " AND ")
}

// common adds the principal and time range clauses every query shares.
func (f *filter) common(principal string, from, to time.Time) {
	if principal != "" {
		f.add("principal = ?", principal)
	}
	if !from.IsZero() {
		f.add("time >= ?", from.UnixNano())
	}
	if !to.IsZero() {
		f.add("time < ?", to.UnixNano())
	}
}

// pageSize is a query's row limit: DefaultLimit when unset, at most
// MaxLimit.
func pageSize(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return min(limit, MaxLimit)
}

// Requests returns request rows matching q, newest first.
func (l *Ledger) Requests(ctx context.Context, q Query) ([]Row, error) {
	l.readOwnWrites(ctx)
	limit := pageSize(q.Limit)
	var f filter
	f.common(q.Principal, q.From, q.To)
	if q.Model != "" {
		f.add("model = ?", q.Model)
	}
	if q.SessionID != "" {
		f.add("session_id = ?", q.SessionID)
	}
	if q.Before != "" {
		if err := l.beforeCursor(ctx, &f, q.Before); err != nil {
			return nil, err
		}
	}
	rows, err := l.db.QueryContext(ctx, `SELECT id, time, login_name, node, tags,
		provider, model, api, stream, status, duration_ms, ttfb_ms, input_tokens,
		output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens,
		cost_nanodollars, session_id, interrupted, estimated, unpriced, local_user FROM requests`+f.sql()+
		` ORDER BY time DESC, id DESC LIMIT ?`, append(f.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("query requests: %w", err)
	}
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		var r Row
		var t int64
		var tags string
		var cost sql.NullInt64
		if err := rows.Scan(&r.ID, &t, &r.LoginName, &r.Node, &tags, &r.Provider,
			&r.Model, &r.API, &r.Stream, &r.Status, &r.DurationMS, &r.TTFBMS,
			&r.InputTokens, &r.OutputTokens, &r.CachedTokens,
			&r.CacheCreationTokens, &r.ReasoningTokens, &cost, &r.SessionID,
			&r.Interrupted, &r.Estimated, &r.Unpriced, &r.LocalUser); err != nil {
			return nil, fmt.Errorf("query requests: %w", err)
		}
		r.Time = time.Unix(0, t).UTC()
		r.Tags = splitTags(tags)
		if cost.Valid {
			r.CostNanos = &cost.Int64
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query requests: %w", err)
	}
	return out, nil
}

// beforeCursor adds the paging clause for cursor: a time, or the ID of a
// row (rows sort by time then ID, so the cursor row's own time ties are
// broken by ID and no row is skipped or repeated).
func (l *Ledger) beforeCursor(ctx context.Context, f *filter, cursor string) error {
	if t, err := time.Parse(time.RFC3339Nano, cursor); err == nil {
		f.add("time < ?", t.UnixNano())
		return nil
	}
	var t int64
	err := l.db.QueryRowContext(ctx, `SELECT time FROM requests WHERE id = ?`, cursor).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("cursor %q: %w", cursor, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("cursor %q: %w", cursor, err)
	}
	f.add("(time < ? OR (time = ? AND id < ?))", t, t, cursor)
	return nil
}

// splitTags reverses the comma join used for storage (tags never contain
// commas). It never returns nil, so JSON shows [] rather than null.
func splitTags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// readOwnWrites waits for the records queued so far to be committed, so a
// query right after a request sees it. While writes fail it gives up at
// once (Sync reports the failure) or after Options.ReadWait (when the
// writer has stopped taking records), and the query shows what is
// committed: a failing disk must not also hang the dashboard.
func (l *Ledger) readOwnWrites(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.ReadWait)
	defer cancel()
	l.Sync(ctx)
}
