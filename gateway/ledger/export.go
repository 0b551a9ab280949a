package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// An exporter (S3) copies the requests table to somewhere else, exactly
// once: every row in one object, none in two. It reads the table in
// rowid order (on PostgreSQL, requests.seq; "rowid" below means either),
// which is commit order (the single writer appends, and rows are never
// deleted; replicas sharing PostgreSQL commit one at a time, see
// pgLockCommitOrder), so rows committed after a batch was read come after
// it. Its position is kept here, in export_state, and moves only in
// CommitExport, after the upload succeeded. Between reading a batch and
// uploading it, the exporter records the batch with PlanExport, so a
// retry after a crash or a failed upload sends the same rows under the
// same object name, replacing what may have arrived rather than adding a
// second copy.

// ExportRow is one request row as an exporter sends it.
type ExportRow struct {
	// Seq is the row's place in commit order (its rowid).
	Seq int64
	// Path is the request path, "" when the row has none recorded.
	Path string
	// Record is the row; its Capture is nil when none is stored (never
	// captured, not yet written, or purged).
	Record
}

// ExportBatch is the rows of the requests table after After through
// Through (rowids, Through included) that one exported object holds.
type ExportBatch struct {
	After, Through int64
	ThroughID      string // the ID of the row at Through
	Records        int
	Object         string // the object's name
	ObjectUnix     int64  // the unix time in the name
}

// ExportState is where an exporter stands.
type ExportState struct {
	// Through is the rowid of the last row exported (0: none), and
	// ThroughID that row's ID.
	Through   int64
	ThroughID string
	// LastObjectUnix is the time in the name of the last object planned,
	// so that the next one's can be later and names never repeat.
	LastObjectUnix int64
	// Pending is the batch planned and perhaps uploaded but not
	// confirmed: it must be sent (again) before anything after it.
	Pending *ExportBatch
}

// ExportState returns where exporter stands. Should rowids have been
// renumbered since (a VACUUM by hand), the position is found again by the
// row IDs it keeps.
func (l *Ledger) ExportState(ctx context.Context, exporter string) (ExportState, error) {
	var s ExportState
	var pThrough, pRecords sql.NullInt64
	var pThroughID, pObject sql.NullString
	err := l.db.QueryRowContext(ctx, `SELECT through, through_id, last_object_unix, pending_through,
		pending_through_id, pending_records, pending_object FROM export_state WHERE exporter = ?`, exporter).
		Scan(&s.Through, &s.ThroughID, &s.LastObjectUnix, &pThrough, &pThroughID, &pRecords, &pObject)
	if errors.Is(err, sql.ErrNoRows) {
		return ExportState{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("export state of %s: %w", exporter, err)
	}
	through := s.Through
	if s.Through, err = l.relocate(ctx, s.Through, s.ThroughID); err != nil {
		return s, fmt.Errorf("export state of %s: %w", exporter, err)
	}
	moved := through != s.Through
	if pThrough.Valid {
		b := &ExportBatch{After: s.Through, Through: pThrough.Int64, ThroughID: pThroughID.String,
			Records: int(pRecords.Int64), Object: pObject.String, ObjectUnix: s.LastObjectUnix}
		if b.Through, err = l.relocate(ctx, b.Through, b.ThroughID); err != nil {
			return s, fmt.Errorf("export state of %s: pending batch: %w", exporter, err)
		}
		moved = moved || b.Through != pThrough.Int64
		s.Pending = b
	}
	if moved {
		pending := pThrough
		if s.Pending != nil {
			pending.Int64 = s.Pending.Through
		}
		if _, err := l.db.ExecContext(ctx, `UPDATE export_state SET through = ?, pending_through = ?
			WHERE exporter = ?`, s.Through, pending, exporter); err != nil {
			return s, fmt.Errorf("export state of %s: follow renumbered rows: %w", exporter, err)
		}
	}
	return s, nil
}

// relocate returns the rowid of the row id, which was at rowid: the same
// unless rowids were renumbered. A row that is gone (never the case: rows
// are not deleted) keeps the old rowid.
func (l *Ledger) relocate(ctx context.Context, rowid int64, id string) (int64, error) {
	if id == "" {
		return rowid, nil
	}
	var now int64
	err := l.db.QueryRowContext(ctx, `SELECT `+l.db.d.seq+` FROM requests WHERE id = ?`, id).Scan(&now)
	if errors.Is(err, sql.ErrNoRows) {
		return rowid, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find row %s: %w", id, err)
	}
	if now != rowid {
		l.logf("ledger: export position: row %s moved from rowid %d to %d (was the database vacuumed?); following it", id, rowid, now)
	}
	return now, nil
}

// NextExportBatch returns the end of the next batch after rowid after: up
// to limit rows, stopping before the first row that may still be in
// progress. A row is settled once its capture is stored, or once it ended
// (its time plus its duration) before settledBefore: captures are written
// just after their row, and a row exported before its capture would go
// out without it. A zero settledBefore takes every row (when the gateway
// has stopped and the ledger is synced). n is 0 when nothing is ready.
func (l *Ledger) NextExportBatch(ctx context.Context, after int64, limit int, settledBefore time.Time) (through int64, throughID string, n int, err error) {
	seq := "r." + l.db.d.seq
	rows, err := l.db.QueryContext(ctx, `SELECT `+seq+`, r.id, r.time + r.duration_ms * 1000000,
		c.request_id IS NOT NULL FROM requests r LEFT JOIN captures c ON c.request_id = r.id
		WHERE `+seq+` > ? ORDER BY `+seq+` LIMIT ?`, after, limit)
	if err != nil {
		return 0, "", 0, fmt.Errorf("next export batch: %w", err)
	}
	defer rows.Close()
	through = after
	for rows.Next() {
		var seq, end int64
		var id string
		var captured bool
		if err := rows.Scan(&seq, &id, &end, &captured); err != nil {
			return 0, "", 0, fmt.Errorf("next export batch: %w", err)
		}
		if !captured && !settledBefore.IsZero() && end > settledBefore.UnixNano() {
			break
		}
		through, throughID, n = seq, id, n+1
	}
	if err := rows.Err(); err != nil {
		return 0, "", 0, fmt.Errorf("next export batch: %w", err)
	}
	return through, throughID, n, nil
}

// PlanExport records b as exporter's pending batch, before it is
// uploaded. It fails if the position is no longer b.After, or if a batch
// is pending already (planned by another replica's exporter, or an
// earlier run, that must be resumed, not planned over: two objects would
// hold the same rows).
func (l *Ledger) PlanExport(ctx context.Context, exporter string, b ExportBatch) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("plan export: %w", err)
	}
	defer tx.Rollback()
	pending, err := checkPosition(ctx, tx, exporter, b.After)
	if err != nil {
		return fmt.Errorf("plan export: %w", err)
	}
	if pending.Valid {
		return fmt.Errorf("plan export: a batch through rowid %d is already pending for %s (another exporter on this database?); it is resumed first", pending.Int64, exporter)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO export_state (exporter, through, through_id, pending_through,
		pending_through_id, pending_records, pending_object, last_object_unix, updated)
		VALUES (?, ?, '', ?, ?, ?, ?, ?, ?)
		ON CONFLICT (exporter) DO UPDATE SET through = excluded.through, pending_through = excluded.pending_through,
		pending_through_id = excluded.pending_through_id, pending_records = excluded.pending_records,
		pending_object = excluded.pending_object, last_object_unix = excluded.last_object_unix,
		updated = excluded.updated`,
		exporter, b.After, b.Through, b.ThroughID, b.Records, b.Object, b.ObjectUnix, l.now().UnixNano())
	if err != nil {
		return fmt.Errorf("plan export: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("plan export: %w", err)
	}
	return nil
}

// checkPosition fails unless exporter's position is after, and returns
// its pending batch's end (invalid when none): one exporter moves the
// position, and a batch planned from another would skip or repeat rows.
func checkPosition(ctx context.Context, tx txn, exporter string, after int64) (sql.NullInt64, error) {
	if tx.d == postgresDialect {
		// Replicas' exporters check and move the position one at a
		// time (SQLite's transactions are exclusive already).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('aperture.export'), hashtext(?))`, exporter); err != nil {
			return sql.NullInt64{}, fmt.Errorf("lock export position: %w", err)
		}
	}
	var through int64
	var pending sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT through, pending_through FROM export_state WHERE exporter = ?`, exporter).
		Scan(&through, &pending)
	if errors.Is(err, sql.ErrNoRows) {
		through, err = 0, nil
	}
	if err != nil {
		return pending, err
	}
	if through != after {
		return pending, fmt.Errorf("export position of %s is rowid %d, not %d (another exporter on this database?)", exporter, through, after)
	}
	return pending, nil
}

// ExportRows calls fn with each row of b, in order, with its capture. It
// reads one row at a time: a batch of captures can be far larger than
// memory should hold.
func (l *Ledger) ExportRows(ctx context.Context, b ExportBatch, fn func(*ExportRow) error) error {
	seq := "r." + l.db.d.seq
	rows, err := l.db.QueryContext(ctx, `SELECT `+seq+`, r.path, r.id, r.time, r.login_name, r.node,
		r.stable_node_id, r.tags, r.principal, r.provider, r.model, r.api, r.stream, r.status,
		r.duration_ms, r.ttfb_ms, r.input_tokens, r.output_tokens, r.cached_tokens,
		r.cache_creation_tokens, r.cache_creation_5m_tokens, r.cache_creation_1h_tokens,
		r.reasoning_tokens, r.cost_nanodollars, r.session_id, r.interrupted, r.error,
		r.user_agent, r.estimated, r.unpriced, r.local_user, c.request_id IS NOT NULL, c.request_headers,
		c.response_headers, c.request_body, c.response_body, c.truncated
		FROM requests r LEFT JOIN captures c ON c.request_id = r.id
		WHERE `+seq+` > ? AND `+seq+` <= ? ORDER BY `+seq, b.After, b.Through)
	if err != nil {
		return fmt.Errorf("export rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e ExportRow
		r := &e.Record
		var t, durMS, ttfbMS int64
		var tags, api string
		var cost sql.NullInt64
		var captured bool
		var rh, sh, rb, sb []byte
		var truncated sql.NullBool
		if err := rows.Scan(&e.Seq, &e.Path, &r.ID, &t, &r.LoginName, &r.NodeName, &r.StableNodeID,
			&tags, &r.Principal, &r.Provider, &r.Model, &api, &r.Stream, &r.Status, &durMS, &ttfbMS,
			&r.Usage.InputTokens, &r.Usage.OutputTokens, &r.Usage.CachedTokens,
			&r.Usage.CacheCreationTokens, &r.Usage.CacheCreation5mTokens, &r.Usage.CacheCreation1hTokens,
			&r.Usage.ReasoningTokens, &cost, &r.SessionID, &r.Interrupted, &r.Error, &r.UserAgent,
			&r.Usage.Estimated, &r.Unpriced, &r.LocalUser, &captured, &rh, &sh, &rb, &sb, &truncated); err != nil {
			return fmt.Errorf("export rows: %w", err)
		}
		r.Path = e.Path
		r.Time = time.Unix(0, t).UTC()
		r.Tags = splitTags(tags)
		r.API = config.API(api)
		r.Duration = time.Duration(durMS) * time.Millisecond
		r.TTFB = time.Duration(ttfbMS) * time.Millisecond
		r.CostNanos, r.CostKnown = cost.Int64, cost.Valid
		if captured {
			if r.Capture, err = decodeCaptureColumns(rh, sh, rb, sb); err != nil {
				return fmt.Errorf("export rows: capture %s: %w", r.ID, err)
			}
			r.Capture.Truncated = truncated.Bool
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export rows: %w", err)
	}
	return nil
}

// decodeCaptureColumns reverses encodeCapture's headers and bodies.
func decodeCaptureColumns(rh, sh, rb, sb []byte) (*Capture, error) {
	c := &Capture{}
	for _, p := range []struct {
		z []byte
		h *http.Header
	}{{rh, &c.RequestHeaders}, {sh, &c.ResponseHeaders}} {
		raw, err := decompress(p.z)
		if err != nil {
			return nil, fmt.Errorf("headers: %w", err)
		}
		if raw != nil {
			if err := json.Unmarshal(raw, p.h); err != nil {
				return nil, fmt.Errorf("headers: %w", err)
			}
		}
	}
	var err error
	if c.RequestBody, err = decompress(rb); err != nil {
		return nil, fmt.Errorf("request body: %w", err)
	}
	if c.ResponseBody, err = decompress(sb); err != nil {
		return nil, fmt.Errorf("response body: %w", err)
	}
	return c, nil
}

// CommitExport records that b is exported: in one transaction it moves
// exporter's position to b.Through, clears the pending batch and marks
// the captures of captured (the IDs of b's rows whose capture the object
// holds) exported, so a retention with require_export may purge them. A
// capture stored after b was read is not among them, and is kept.
func (l *Ledger) CommitExport(ctx context.Context, exporter string, b ExportBatch, captured []string) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("commit export: %w", err)
	}
	defer tx.Rollback()
	pending, err := checkPosition(ctx, tx, exporter, b.After)
	if err != nil {
		return fmt.Errorf("commit export: %w", err)
	}
	if !pending.Valid || pending.Int64 != b.Through {
		return fmt.Errorf("commit export: the batch through rowid %d of %s was not planned", b.Through, exporter)
	}
	now := l.now().UnixNano()
	mark, err := tx.PrepareContext(ctx, `UPDATE captures SET exported = ? WHERE request_id = ? AND exported IS NULL`)
	if err != nil {
		return fmt.Errorf("commit export: %w", err)
	}
	defer mark.Close()
	for _, id := range captured {
		if _, err := mark.ExecContext(ctx, now, id); err != nil {
			return fmt.Errorf("commit export: mark capture %s exported: %w", id, err)
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE export_state SET through = ?, through_id = ?, pending_through = NULL,
		pending_through_id = NULL, pending_records = NULL, pending_object = NULL, updated = ?
		WHERE exporter = ?`, b.Through, b.ThroughID, now, exporter)
	if err != nil {
		return fmt.Errorf("commit export: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit export: %w", err)
	}
	return nil
}
