package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SetResponseOwner records that principal created the provider-side
// object id (an OpenAI stored response).
func (l *Ledger) SetResponseOwner(ctx context.Context, id, principal string) error {
	if _, err := l.db.ExecContext(ctx, `INSERT OR IGNORE INTO response_owners (id, principal, created) VALUES (?, ?, ?)`,
		id, principal, l.now().UnixNano()); err != nil {
		return fmt.Errorf("record owner of %s: %w", id, err)
	}
	return nil
}

// ResponseOwner returns who created id, or "" when the gateway never saw
// it created.
func (l *Ledger) ResponseOwner(ctx context.Context, id string) (string, error) {
	var p string
	err := l.db.QueryRowContext(ctx, `SELECT principal FROM response_owners WHERE id = ?`, id).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("owner of %s: %w", id, err)
	}
	return p, nil
}
