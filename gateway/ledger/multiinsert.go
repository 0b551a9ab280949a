package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"strings"
)

// insertChunk is the most rows one execution of a multi-row INSERT
// carries. 32 rows × 30 columns stays far below SQLite's limit of 32766
// parameters (and PostgreSQL's of 65535).
const insertChunk = 32

// chunkSizes is how many statements a multiInsert keeps: one for each
// power of two up to insertChunk.
var chunkSizes = bits.Len(insertChunk)

// multiInsert writes rows of one table with as few statement executions
// as possible: a batch of n rows goes out as chunks of insertChunk rows,
// then one chunk per bit of the remainder (13 rows: 8, 4, 1), never more
// than chunkSizes executions. Each execution costs a round through
// database/sql, the driver's bind and the database's statement machinery
// besides the rows themselves: at one row per execution, the group
// commit's three or four rows (the benchmark's at 10 requests at once)
// cost as many rounds, and a flush of sixty captures sixty. Only the
// writer goroutine uses it.
type multiInsert struct {
	table string
	cols  int
	head  string // "INSERT ... VALUES " in the backend's words
	row   string // "(?,?,…)"
	tail  string // the backend's ON CONFLICT clause, if any
	c     *conn
	// stmts[k] inserts 1<<k rows; prepared on first use.
	stmts []*sql.Stmt
	args  []any // reused argument buffer
	// onExec, when set (tests only), runs before each execution.
	onExec func()
}

// prepareMulti prepares "INSERT OR IGNORE INTO table (columns) VALUES"
// (in the backend's words) for one row; the statements for more rows are
// prepared when a batch first needs them.
func prepareMulti(ctx context.Context, c *conn, table string, columns []string) (*multiInsert, error) {
	m := &multiInsert{
		table: table, cols: len(columns), c: c,
		head:  c.d.insertOrIgnore + table + " (" + strings.Join(columns, ", ") + ") VALUES ",
		row:   "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")",
		tail:  c.d.ignoreTail,
		stmts: make([]*sql.Stmt, chunkSizes),
	}
	if _, err := m.stmt(ctx, 0); err != nil {
		return nil, err
	}
	return m, nil
}

// stmt is the statement inserting 1<<k rows.
func (m *multiInsert) stmt(ctx context.Context, k int) (*sql.Stmt, error) {
	if s := m.stmts[k]; s != nil {
		return s, nil
	}
	q := m.head + strings.TrimSuffix(strings.Repeat(m.row+",", 1<<k), ",") + m.tail
	s, err := m.c.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare insert of %d rows into %s: %w", 1<<k, m.table, err)
	}
	m.stmts[k] = s
	return s, nil
}

// chunkOf is the size of the next chunk of a batch of n > 0 rows, as the
// power of two 1<<k: insertChunk while n is at least that, else the
// highest bit of n.
func chunkOf(n int) (k int) {
	return bits.Len(uint(min(n, insertChunk))) - 1
}

// exec inserts rows (each len(columns) values) inside tx.
func (m *multiInsert) exec(ctx context.Context, tx txn, rows [][]any) error {
	defer clear(m.args) // keep no references to written rows
	for len(rows) > 0 {
		k := chunkOf(len(rows))
		s, err := m.stmt(ctx, k)
		if err != nil {
			return err
		}
		n := 1 << k
		m.args = m.args[:0]
		for _, r := range rows[:n] {
			m.args = append(m.args, r...)
		}
		if m.onExec != nil {
			m.onExec()
		}
		stmt := tx.StmtContext(ctx, s)
		_, err = stmt.ExecContext(ctx, m.args...)
		stmt.Close()
		if err != nil {
			return fmt.Errorf("insert into %s (%v…): %w", m.table, rows[0][0], err)
		}
		rows = rows[n:]
	}
	return nil
}

func (m *multiInsert) Close() {
	for _, s := range m.stmts {
		if s != nil {
			s.Close()
		}
	}
}
