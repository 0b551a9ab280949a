package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// StoredResponse is what the ledger knows of a stored OpenAI response the
// gateway saw created: who created it (only they may read it back through
// the gateway's shared key) and how many tokens a request continuing it
// carries as input (its input plus its output), for that request's hold.
type StoredResponse struct {
	Principal string // "" when the gateway never saw it created
	// ContextTokens is 0 when unknown: rows written before the ledger
	// kept it, or an answer whose usage never came.
	ContextTokens int64
}

// StoredResponse returns what is known of stored response id; the zero
// value when the gateway never saw it created. It runs on the request
// path and never waits for the writer: a row in the row log, not yet in
// the database, is found there.
func (l *Ledger) StoredResponse(ctx context.Context, id string) (StoredResponse, error) {
	if l.rows != nil {
		if r, ok := l.rows.storedResponse(id); ok {
			return r, nil
		}
	}
	// Committed, or not known: the indexer forgets a logged owner only
	// once the database has it.
	r, _, err := l.storedResponse(ctx, id)
	return r, err
}

// storedResponse looks id up in the database.
func (l *Ledger) storedResponse(ctx context.Context, id string) (StoredResponse, bool, error) {
	var r StoredResponse
	var tokens sql.NullInt64
	err := l.db.QueryRowContext(ctx, `SELECT principal, context_tokens FROM response_owners WHERE id = ?`, id).Scan(&r.Principal, &tokens)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredResponse{}, false, nil
	}
	if err != nil {
		return StoredResponse{}, false, fmt.Errorf("stored response %s: %w", id, err)
	}
	r.ContextTokens = max(tokens.Int64, 0)
	return r, true, nil
}
