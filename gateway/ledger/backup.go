package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// BackupInfo describes a copy Backup made.
type BackupInfo struct {
	Path          string // the copy
	SchemaVersion int    // its schema version (migrations applied)
	Requests      int64  // metric rows in it
	Captures      int64  // captures in it
	Bytes         int64  // its size
}

// Backup writes a consistent copy of the ledger database at src to dst
// with SQLite's VACUUM INTO, and is safe while a gateway has src open and
// keeps writing: the copy is one read transaction's snapshot, so it holds
// every row committed before it began and none half-written, and in WAL
// mode that read never blocks the writer (nor the writer it). Copying the
// file with cp is not safe: the newest commits are in the -wal file beside
// it, and a copy taken mid-checkpoint can be torn. The rows in src's row
// log (rowlog.go: durable, not yet committed) are added to the copy.
//
// The copy is written next to dst under a temporary name, checked
// (integrity_check, schema version), synced to disk (VACUUM INTO does not
// sync) and only then linked to dst, which must not exist. It is created
// mode 0600: it holds every captured prompt and answer, and the config
// history with any literal provider keys. Backup only reads src: it never
// creates, writes or migrates it.
//
// A ledger in PostgreSQL (src a postgres:// URL) is not copied: Backup
// refuses it and names pg_dump, the tool that copies a live PostgreSQL
// database consistently.
func Backup(ctx context.Context, src, dst string) (BackupInfo, error) {
	info := BackupInfo{Path: dst}
	if IsPostgresURL(src) {
		return info, fmt.Errorf("backup: the ledger is in PostgreSQL (%s), and backup copies only a SQLite ledger file: use pg_dump, e.g. pg_dump --format=custom --file=%s 'postgres://…' (it copies a running database consistently)", Redact(src), dst)
	}
	if st, err := os.Stat(src); err != nil {
		return info, fmt.Errorf("backup: no ledger database at %s: %w", src, err)
	} else if !st.Mode().IsRegular() {
		return info, fmt.Errorf("backup: %s is not a database file", src)
	}
	if _, err := os.Lstat(dst); err == nil {
		return info, fmt.Errorf("backup: %s already exists; choose a new file name (a backup never overwrites)", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return info, fmt.Errorf("backup: %w", err)
	}
	db, err := sql.Open("sqlite", existingDSN(src))
	if err != nil {
		return info, fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := readSchemaVersion(ctx, db); err != nil {
		return info, fmt.Errorf("backup: %s is not an aperture ledger: %w", src, err)
	}

	// The rows a running gateway has made durable but not yet committed
	// are in its row log: read before the snapshot, they are either in
	// it or added to the copy after (a segment gone by the time it is
	// read had its rows committed, so before the snapshot).
	logged, err := readRowLog(src)
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	// An empty file is a valid VACUUM INTO target, so the copy gets its
	// mode (and its unique name) from CreateTemp, not from SQLite.
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".partial-*")
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	keep := false
	defer func() {
		if !keep {
			os.Remove(tmpPath)
		}
	}()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmpPath); err != nil {
		return info, fmt.Errorf("backup: copying %s: %w", src, err)
	}
	if err := addRows(ctx, tmpPath, logged); err != nil {
		return info, fmt.Errorf("backup: adding the row log's %d rows to the copy: %w", len(logged), err)
	}
	if err := checkCopy(ctx, tmpPath, &info); err != nil {
		return info, fmt.Errorf("backup: the copy of %s does not check out: %w", src, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	// A link, unlike a rename, fails if dst appeared meanwhile.
	if err := os.Link(tmpPath, dst); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	keep = true
	os.Remove(tmpPath)
	if st, err := os.Stat(dst); err == nil {
		info.Bytes = st.Size()
	}
	return info, nil
}

// readRowLog reads the rows in the row log of the database at path. A
// segment being appended to may end in part of a record: its rows
// before it count.
func readRowLog(path string) ([]*item, error) {
	segs, _, err := (&rowLog{base: path}).segments()
	if err != nil {
		return nil, err
	}
	var items []*item
	for _, s := range segs {
		its, err := readSegment(s.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // committed and removed meanwhile
		}
		items = append(items, its...)
	}
	return items, nil
}

// addRows inserts items' rows (and their owner rows) into the SQLite
// database at path, ignoring those it has.
func addRows(ctx context.Context, path string, items []*item) error {
	if len(items) == 0 {
		return nil
	}
	db, err := sql.Open("sqlite", existingDSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	c := conn{db: db, d: sqliteDialect}
	req, err := prepareMulti(ctx, &c, "requests", requestColumns)
	if err != nil {
		return err
	}
	defer req.Close()
	owner, err := prepareMulti(ctx, &c, "response_owners", ownerColumns)
	if err != nil {
		return err
	}
	defer owner.Close()
	var reqs, owners [][]any
	for _, it := range items {
		reqs = append(reqs, it.req)
		if it.owner != nil {
			owners = append(owners, it.owner)
		}
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := req.exec(ctx, tx, reqs); err != nil {
		return err
	}
	if err := owner.exec(ctx, tx, owners); err != nil {
		return err
	}
	return tx.Commit()
}

// existingDSN opens path without creating it. It is not SQLite's
// read-only mode, which cannot remove the -wal and -shm files it makes
// beside a database nobody else has open; Backup only reads through it.
// The busy timeout covers the moment a checkpoint holds the WAL index.
func existingDSN(path string) string {
	q := url.Values{}
	q.Set("mode", "rw")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	return sqliteURI(path) + "?" + q.Encode()
}

// readSchemaVersion reads the schema version of a database it must not
// change (unlike schemaVersion, it creates nothing).
func readSchemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// checkCopy opens the copy at path on its own, runs SQLite's integrity
// check and fills in what it holds.
func checkCopy(ctx context.Context, path string, info *BackupInfo) error {
	db, err := sql.Open("sqlite", existingDSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&verdict); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if verdict != "ok" {
		return fmt.Errorf("integrity check: %s", verdict)
	}
	if info.SchemaVersion, err = readSchemaVersion(ctx, db); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&info.Requests); err != nil {
		return fmt.Errorf("count requests: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM captures`).Scan(&info.Captures); err != nil {
		return fmt.Errorf("count captures: %w", err)
	}
	return nil
}

// syncFile flushes path to stable storage.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}
