package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ResponseOwner returns who created id, or "" when the gateway never saw
// it created.
func (l *Ledger) ResponseOwner(ctx context.Context, id string) (string, error) {
	l.readOwnWrites(ctx)
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
