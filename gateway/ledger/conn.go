package ledger

import (
	"context"
	"database/sql"
)

// conn is the ledger's database handle: a *sql.DB whose queries are
// written once, with ? placeholders, and rewritten for the backend
// (dialect.rebind) here, in one place, as they are run or prepared.
type conn struct {
	db *sql.DB
	d  *dialect
}

func (c *conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, c.d.rebind(q), args...)
}

func (c *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.db.QueryContext(ctx, c.d.rebind(q), args...)
}

func (c *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.db.QueryRowContext(ctx, c.d.rebind(q), args...)
}

func (c *conn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return c.db.PrepareContext(ctx, c.d.rebind(q))
}

// BeginTx returns the transaction by value: it is two pointers, and the
// writer begins one per group commit.
func (c *conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (txn, error) {
	tx, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return txn{}, err
	}
	return txn{tx: tx, d: c.d}, nil
}

// beginOn begins a transaction on sc, one of c's connections held by
// its user (the ledger's writer), rebinding its queries the same way.
func (c *conn) beginOn(ctx context.Context, sc *sql.Conn) (txn, error) {
	tx, err := sc.BeginTx(ctx, nil)
	if err != nil {
		return txn{}, err
	}
	return txn{tx: tx, d: c.d}, nil
}

func (c *conn) PingContext(ctx context.Context) error { return c.db.PingContext(ctx) }

func (c *conn) Close() error { return c.db.Close() }

// txn is a transaction on a conn, rebinding its queries the same way.
//
// The writer's transactions on SQLite are on its own connection instead
// (sqliteConn): sc is set and tx is nil, and only Commit and Rollback
// apply (multiInsert runs its statements on sc).
type txn struct {
	tx *sql.Tx
	d  *dialect
	sc *sqliteConn
}

func (t txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(q), args...)
}

func (t txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

func (t txn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.rebind(q))
}

// StmtContext is stmt (prepared on the conn, so already rebound) in t.
func (t txn) StmtContext(ctx context.Context, stmt *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, stmt)
}

func (t txn) Commit() error {
	if t.sc != nil {
		return t.sc.commit()
	}
	return t.tx.Commit()
}

func (t txn) Rollback() error {
	if t.sc != nil {
		t.sc.rollback()
		return nil
	}
	return t.tx.Rollback()
}
