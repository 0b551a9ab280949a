package ledger

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteConn is a SQLite ledger's write connection: opened with the
// SQLite library itself (modernc.org/sqlite/lib, the C library that the
// database/sql driver is built on), for the one goroutine that writes
// (the indexer, or the writer when there is no row log).
//
// Why not database/sql: the driver opens every connection
// SQLITE_OPEN_FULLMUTEX, so every SQLite call (each bind, step and
// reset) takes and releases the connection's recursive mutex, which
// modernc's libc emulates in Go; and it copies each text and blob
// parameter into a C allocation of its own, freed after the statement.
// A row of the requests table binds 30 parameters. In
// BenchmarkWriteBatch (100 rows a transaction, one CPU) the driver's
// bind, those mutexes and database/sql's argument conversion were a
// third of the writer's time. This connection is opened
// SQLITE_OPEN_NOMUTEX, which is safe because one goroutine at a time
// uses it (write holds writeMu), the guarantee database/sql gives the
// driver's connections; its parameters are copied into one arena: 11.3
// µs a row became 6.6 (issue #16: on one core, the indexer's CPU is
// most of what the gateway costs over a bare proxy).
//
// It is not safe for concurrent use.
type sqliteConn struct {
	tls *libc.TLS
	db  uintptr
	// arena holds the text and blob parameters of the statement being
	// run, bound SQLITE_STATIC: SQLite reads them in place during the
	// step, and run clears the bindings before it returns.
	arena    uintptr
	arenaCap int
	// busy is set while a call is inside SQLite: a second goroutine
	// using the connection at once panics there rather than corrupt
	// memory that the race detector cannot see (C's heap).
	busy atomic.Bool
}

// enter and leave bracket each use of the connection (enter panics if
// another goroutine is using it).
func (c *sqliteConn) enter() {
	if !c.busy.CompareAndSwap(false, true) {
		panic("ledger: the SQLite writer's connection used by two goroutines at once")
	}
}

func (c *sqliteConn) leave() { c.busy.Store(false) }

// arenaKeep is the largest arena kept between statements: a chunk of
// large captures (megabytes) gives its arena back once it has run.
const arenaKeep = 256 << 10

// sqliteError is an error SQLite reported: its message and its
// (extended) result code, in the form the driver uses.
type sqliteError struct {
	code int32
	msg  string
}

func (e *sqliteError) Error() string {
	s := e.msg + " (" + strconv.Itoa(int(e.code)) + ")"
	if e.code&0xff == sqlite3.SQLITE_BUSY {
		s += " (SQLITE_BUSY)"
	}
	return s
}

// openSQLiteConn opens the existing SQLite database at path for writing
// and runs pragmas (sqlitePragmas) on it, as the driver runs a DSN's.
// The file is named as the pool names it (sqliteURI), so that both open
// the same one whatever the path holds ("%41", "#", "?").
func openSQLiteConn(path string, pragmas []string) (_ *sqliteConn, err error) {
	c := &sqliteConn{tls: libc.NewTLS()}
	name, err := libc.CString(sqliteURI(path))
	if err != nil {
		c.tls.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer libc.Xfree(c.tls, name)
	pdb := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, pdb,
		sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_URI|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_PRIVATECACHE, 0)
	c.db = *(*uintptr)(cMemory(pdb))
	c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	if rc != sqlite3.SQLITE_OK {
		return nil, fmt.Errorf("open %s: %w", path, c.error(rc))
	}
	sqlite3.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	for _, p := range pragmas {
		if err := c.exec("PRAGMA " + p); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	return c, nil
}

// error is rc as an error, with the connection's message for it.
func (c *sqliteConn) error(rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		if code := sqlite3.Xsqlite3_extended_errcode(c.tls, c.db); code == rc || code&0xff == rc&0xff {
			rc = code
			msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
		}
	}
	return &sqliteError{code: rc, msg: msg}
}

// exec runs q (one or more statements without parameters), ignoring
// any rows it returns.
func (c *sqliteConn) exec(q string) error {
	c.enter()
	defer c.leave()
	z, err := libc.CString(q)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, z)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, z, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("%s: %w", firstWords(q), c.error(rc))
	}
	return nil
}

// firstWords is the start of q, for an error message.
func firstWords(q string) string {
	if len(q) > 40 {
		q = q[:40] + "…"
	}
	return strings.TrimSpace(q)
}

// prepare compiles q, a statement kept until finalize.
func (c *sqliteConn) prepare(q string) (uintptr, error) {
	c.enter()
	defer c.leave()
	z, err := libc.CString(q)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, z)
	pp := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, z, -1, pp, 0)
	if rc != sqlite3.SQLITE_OK {
		return 0, fmt.Errorf("prepare %s: %w", firstWords(q), c.error(rc))
	}
	return *(*uintptr)(cMemory(pp)), nil
}

// finalize deletes a prepared statement.
func (c *sqliteConn) finalize(stmt uintptr) {
	if stmt != 0 {
		sqlite3.Xsqlite3_finalize(c.tls, stmt)
	}
}

// run executes stmt, which returns no rows, with args: its parameters
// in order, converted as database/sql converts them for the driver
// (sqliteValue).
func (c *sqliteConn) run(stmt uintptr, args []any) error {
	c.enter()
	defer c.leave()
	if err := c.bind(stmt, args); err != nil {
		sqlite3.Xsqlite3_clear_bindings(c.tls, stmt)
		return err
	}
	rc := sqlite3.Xsqlite3_step(c.tls, stmt)
	var err error
	if rc != sqlite3.SQLITE_DONE && rc != sqlite3.SQLITE_ROW {
		err = c.error(rc)
	}
	sqlite3.Xsqlite3_reset(c.tls, stmt)
	// No binding may point into the arena once it is reused or freed.
	sqlite3.Xsqlite3_clear_bindings(c.tls, stmt)
	if c.arenaCap > arenaKeep {
		c.freeArena()
	}
	return err
}

// bind binds args to stmt's parameters, copying texts and blobs into the
// arena.
func (c *sqliteConn) bind(stmt uintptr, args []any) error {
	if n := int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, stmt)); n != len(args) {
		return fmt.Errorf("sqlite: %d arguments for %d parameters", len(args), n)
	}
	need := 1 // never a zero pointer: SQLite binds a NULL for one
	for i, a := range args {
		switch v := a.(type) {
		case nil, int64, int, float64, bool:
		case string:
			need += len(v)
		case []byte:
			need += len(v)
		default:
			// What the ledger never writes, converted as database/sql
			// would (args is the caller's scratch buffer).
			v2, err := sqliteValue(a)
			if err != nil {
				return fmt.Errorf("argument %d: %w", i+1, err)
			}
			args[i] = v2
			switch v2 := v2.(type) {
			case string:
				need += len(v2)
			case []byte:
				need += len(v2)
			}
		}
	}
	if need > math.MaxInt32 {
		return fmt.Errorf("sqlite: %d bytes of parameters in one statement", need)
	}
	if err := c.growArena(need); err != nil {
		return err
	}
	mem := unsafe.Slice((*byte)(cMemory(c.arena)), c.arenaCap)
	off := 0
	for i, a := range args {
		idx := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(c.tls, stmt, idx)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, stmt, idx, v)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, stmt, idx, int64(v))
		case float64:
			rc = sqlite3.Xsqlite3_bind_double(c.tls, stmt, idx, v)
		case bool:
			var x int64
			if v {
				x = 1
			}
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, stmt, idx, x)
		case string:
			copy(mem[off:], v)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, stmt, idx, c.arena+uintptr(off), int32(len(v)), 0)
			off += len(v)
		case []byte:
			if v == nil {
				rc = sqlite3.Xsqlite3_bind_null(c.tls, stmt, idx)
				break
			}
			copy(mem[off:], v)
			rc = sqlite3.Xsqlite3_bind_blob(c.tls, stmt, idx, c.arena+uintptr(off), int32(len(v)), 0)
			off += len(v)
		}
		if rc != sqlite3.SQLITE_OK {
			return fmt.Errorf("bind argument %d: %w", i+1, c.error(rc))
		}
	}
	return nil
}

// sqliteValue is a as the driver receives it from database/sql
// (driver.DefaultParameterConverter): nil, int64, float64, bool, string,
// []byte or time.Time, the last of which the ledger never writes.
func sqliteValue(a any) (any, error) {
	switch a.(type) {
	case nil, int64, float64, bool, string, []byte:
		return a, nil
	}
	v, err := driver.DefaultParameterConverter.ConvertValue(a)
	if err != nil {
		return nil, err
	}
	switch v.(type) {
	case nil, int64, float64, bool, string, []byte:
		return v, nil
	}
	return nil, fmt.Errorf("sqlite: cannot write a %T", a)
}

// cMemory is p, an address of libc's memory (C's heap, or a TLS's
// stack), as a pointer. That memory is not Go's: the garbage collector
// neither moves nor frees it, and it stays where it is until freed,
// which is what makes the conversion from an integer sound (and is
// what vet cannot know).
func cMemory(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// growArena makes the arena at least need bytes long.
func (c *sqliteConn) growArena(need int) error {
	if need <= c.arenaCap {
		return nil
	}
	c.freeArena()
	// A power of two: statements that grow a little at a time do not
	// reallocate each time.
	size := need
	if need <= 1<<30 { // rounded up, it still fits a 32-bit int
		size = max(4096, 1<<bits.Len(uint(need-1)))
	}
	if size < need {
		return fmt.Errorf("sqlite: %d bytes of parameters", need)
	}
	p := cMalloc(libc.Xmalloc, c.tls, size)
	if p == 0 {
		return errors.New("sqlite: out of memory for parameters")
	}
	c.arena, c.arenaCap = p, size
	return nil
}

// cMalloc calls libc's malloc, whose size_t is 32 or 64 bits wide with
// the platform.
func cMalloc[S ~uint32 | ~uint64](malloc func(*libc.TLS, S) uintptr, tls *libc.TLS, n int) uintptr {
	return malloc(tls, S(n))
}

func (c *sqliteConn) freeArena() {
	if c.arena != 0 {
		libc.Xfree(c.tls, c.arena)
		c.arena, c.arenaCap = 0, 0
	}
}

// begin, commit and rollback delimit a write transaction, begun
// IMMEDIATE as the pool's are (the write lock is waited for up front, on
// busy_timeout).
func (c *sqliteConn) begin() error  { return c.exec("BEGIN IMMEDIATE") }
func (c *sqliteConn) commit() error { return c.exec("COMMIT") }

// rollback ends the transaction, if SQLite has not already (some errors,
// a full disk among them, roll it back themselves).
func (c *sqliteConn) rollback() {
	if sqlite3.Xsqlite3_get_autocommit(c.tls, c.db) == 0 {
		c.exec("ROLLBACK")
	}
}

// filename is the database file the connection has open.
func (c *sqliteConn) filename() string {
	main, err := libc.CString("main")
	if err != nil {
		return ""
	}
	defer libc.Xfree(c.tls, main)
	return libc.GoString(sqlite3.Xsqlite3_db_filename(c.tls, c.db, main))
}

// close closes the connection and whatever statements are left on it.
func (c *sqliteConn) close() {
	c.freeArena()
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	c.tls.Close()
}
