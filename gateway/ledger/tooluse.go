package ledger

import (
	"context"
	"fmt"
	"time"
)

// MaxCapturedAnswers bounds how many requests one CapturedAnswers query
// reads: each may carry a megabyte of captured answer.
const MaxCapturedAnswers = 10_000

// CapturedAnswerQuery selects the most recent requests, with their
// captured answers, for pages that read what the model said (the Tool Use
// page). Zero fields do not filter.
type CapturedAnswerQuery struct {
	Principal string    // only this caller's requests ("" = everyone's)
	From      time.Time // inclusive
	To        time.Time // exclusive
	Limit     int       // requests to read; 0 or more than MaxCapturedAnswers = MaxCapturedAnswers
}

// CapturedAnswer is one request and, when a capture of it is stored, the
// answer the gateway relayed.
type CapturedAnswer struct {
	ID        string
	Time      time.Time // UTC
	Principal string
	Model     string
	API       string
	Status    int
	Captured  bool   // a capture is stored (ResponseBody may still be empty)
	Answer    []byte // the captured response body, decompressed
	Truncated bool   // a body was larger than the capture limit
}

// CapturedAnswers calls fn with each of the q.Limit most recent requests
// matching q, newest first, joined with their captures. Answers are
// handed over one at a time, so a page reading thousands of captures of
// up to a megabyte each holds one decompressed at once. It stops at fn's
// first error and returns it.
func (l *Ledger) CapturedAnswers(ctx context.Context, q CapturedAnswerQuery, fn func(CapturedAnswer) error) error {
	l.readOwnWrites(ctx)
	limit := q.Limit
	if limit <= 0 || limit > MaxCapturedAnswers {
		limit = MaxCapturedAnswers
	}
	var f filter
	f.common(q.Principal, q.From, q.To)
	rows, err := l.db.QueryContext(ctx, `SELECT r.id, r.time, r.principal, r.model, r.api, r.status,
		c.request_id IS NOT NULL, c.response_body, COALESCE(c.truncated, `+l.db.d.false+`)
		FROM requests r LEFT JOIN captures c ON c.request_id = r.id`+f.sql()+
		` ORDER BY r.time DESC, r.id DESC LIMIT ?`, append(f.args, limit)...)
	if err != nil {
		return fmt.Errorf("query captured answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a CapturedAnswer
		var t int64
		var body []byte
		if err := rows.Scan(&a.ID, &t, &a.Principal, &a.Model, &a.API, &a.Status, &a.Captured, &body, &a.Truncated); err != nil {
			return fmt.Errorf("query captured answers: %w", err)
		}
		a.Time = time.Unix(0, t).UTC()
		if a.Answer, err = decompress(body); err != nil {
			return fmt.Errorf("captured answer %s: %w", a.ID, err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query captured answers: %w", err)
	}
	return nil
}
