package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// insertChunk is how many rows one execution of a multi-row INSERT
// carries. Each execution costs a round through database/sql and the
// SQLite VM besides the rows themselves; in the writer's benchmark that
// overhead was about a third of the per-row cost at one row per
// statement. 32 rows × 30 columns stays far below SQLite's limit of
// 32766 parameters (and PostgreSQL's of 65535).
const insertChunk = 32

// multiInsert writes rows of one table with as few statement executions
// as possible: full chunks through a statement of insertChunk rows, the
// rest one row at a time. Only the writer goroutine uses it.
type multiInsert struct {
	table      string
	cols       int
	one, chunk *sql.Stmt
	args       []any // reused argument buffer for chunk
}

// prepareMulti prepares "INSERT OR IGNORE INTO table (columns) VALUES"
// (in the backend's words) for one row and for insertChunk rows.
func prepareMulti(ctx context.Context, c *conn, table string, columns []string) (*multiInsert, error) {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	head := c.d.insertOrIgnore + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	one, err := c.PrepareContext(ctx, head+row+c.d.ignoreTail)
	if err != nil {
		return nil, fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	chunk, err := c.PrepareContext(ctx, head+strings.TrimSuffix(strings.Repeat(row+",", insertChunk), ",")+c.d.ignoreTail)
	if err != nil {
		one.Close()
		return nil, fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	return &multiInsert{table: table, cols: len(columns), one: one, chunk: chunk}, nil
}

// exec inserts rows (each len(columns) values) inside tx.
func (m *multiInsert) exec(ctx context.Context, tx txn, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if len(rows) >= insertChunk {
		stmt := tx.StmtContext(ctx, m.chunk)
		defer stmt.Close()
		defer clear(m.args) // keep no references to written rows
		for len(rows) >= insertChunk {
			m.args = m.args[:0]
			for _, r := range rows[:insertChunk] {
				m.args = append(m.args, r...)
			}
			if _, err := stmt.ExecContext(ctx, m.args...); err != nil {
				return fmt.Errorf("insert into %s (%v…): %w", m.table, rows[0][0], err)
			}
			rows = rows[insertChunk:]
		}
	}
	if len(rows) == 0 {
		return nil
	}
	stmt := tx.StmtContext(ctx, m.one)
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("insert into %s (%v): %w", m.table, r[0], err)
		}
	}
	return nil
}

func (m *multiInsert) Close() {
	m.one.Close()
	m.chunk.Close()
}
