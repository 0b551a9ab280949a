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
// then one chunk per bit of the remainder (13 rows: 8, 4, 1). Each
// execution costs a round through the database's statement machinery
// (and, on PostgreSQL, database/sql and the driver) besides the rows
// themselves: at one row per execution, the group commit's three or four
// rows (the benchmark's at 10 requests at once) cost as many rounds, and
// a flush of sixty captures sixty. One goroutine at a time uses it (write
// holds writeMu).
type multiInsert struct {
	table string
	// stmts[k] inserts 1<<k rows (database/sql: PostgreSQL).
	stmts []*sql.Stmt
	// raw[k] inserts 1<<k rows on sc, SQLite's write connection
	// (prepareMultiRaw); stmts is nil then.
	raw  []uintptr
	sc   *sqliteConn
	args []any // reused argument buffer
	// pause, when set, runs before each execution: SQLite's inserts
	// give way to the network there (pacer), and then send at most
	// 1<<most rows at once, so that one execution is a short time on the
	// CPU; most is len(stmts)-1 otherwise.
	pause func()
	most  int
	// onExec, when set (tests only), runs before each execution.
	onExec func()
}

// prepareMulti prepares "INSERT OR IGNORE INTO table (columns) VALUES"
// (in the backend's words) for 1, 2, 4, ... insertChunk rows, all at once:
// prepared during a write, a new size would cost PostgreSQL round trips
// (and perhaps a wait for a pooled connection) while the other replicas
// wait on the commit-order lock.
func prepareMulti(ctx context.Context, c *conn, table string, columns []string) (*multiInsert, error) {
	m := &multiInsert{table: table, stmts: make([]*sql.Stmt, chunkSizes), most: chunkSizes - 1}
	for k := range m.stmts {
		s, err := c.PrepareContext(ctx, multiInsertSQL(c.d, table, columns, 1<<k))
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("prepare insert of %d rows into %s: %w", 1<<k, table, err)
		}
		m.stmts[k] = s
	}
	return m, nil
}

// prepareMultiRaw prepares the same statements as prepareMulti on
// SQLite's write connection sc.
func prepareMultiRaw(sc *sqliteConn, table string, columns []string) (*multiInsert, error) {
	m := &multiInsert{table: table, raw: make([]uintptr, chunkSizes), sc: sc, most: chunkSizes - 1}
	for k := range m.raw {
		s, err := sc.prepare(multiInsertSQL(sqliteDialect, table, columns, 1<<k))
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("prepare insert of %d rows into %s: %w", 1<<k, table, err)
		}
		m.raw[k] = s
	}
	return m, nil
}

// multiInsertSQL is the INSERT of n rows into table, in d's words.
func multiInsertSQL(d *dialect, table string, columns []string, n int) string {
	head := d.insertOrIgnore + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	return head + strings.TrimSuffix(strings.Repeat(row+",", n), ",") + d.ignoreTail
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
		k := min(chunkOf(len(rows)), m.most)
		n := 1 << k
		m.args = m.args[:0]
		for _, r := range rows[:n] {
			m.args = append(m.args, r...)
		}
		if m.pause != nil {
			m.pause()
		}
		if m.onExec != nil {
			m.onExec()
		}
		if err := m.run(ctx, tx, k); err != nil {
			return fmt.Errorf("insert into %s (%v…): %w", m.table, rows[0][0], err)
		}
		rows = rows[n:]
	}
	return nil
}

// run executes the statement for 1<<k rows with m.args, in tx or, for
// SQLite, on its write connection (in the transaction begun there).
// SQLite's converts m.args in place.
func (m *multiInsert) run(ctx context.Context, tx txn, k int) error {
	if m.sc != nil {
		return m.sc.run(m.raw[k], m.args)
	}
	stmt := tx.StmtContext(ctx, m.stmts[k])
	_, err := stmt.ExecContext(ctx, m.args...)
	stmt.Close()
	return err
}

// paced makes m give way to the network through pause before each
// execution, which sends at most 1<<most rows; the statements for more
// are closed.
func (m *multiInsert) paced(pause func(), most int) {
	m.pause, m.most = pause, min(most, chunkSizes-1)
	if m.sc != nil {
		for _, s := range m.raw[m.most+1:] {
			m.sc.finalize(s)
		}
		m.raw = m.raw[:m.most+1]
		return
	}
	for _, s := range m.stmts[m.most+1:] {
		s.Close()
	}
	m.stmts = m.stmts[:m.most+1]
}

func (m *multiInsert) Close() {
	for _, s := range m.stmts {
		if s != nil {
			s.Close()
		}
	}
	for _, s := range m.raw {
		m.sc.finalize(s)
	}
	m.raw = nil
}
