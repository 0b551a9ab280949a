package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ResponseOwner returns who created id, or "" when the gateway never saw
// it created. It reads what is committed and never waits for queued rows
// (it runs on the request path; the gateway keeps recent owners in
// memory until their rows are written).
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
