package ledger

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Backend names, as Backend reports them.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// dialect is what differs between the two databases the ledger runs on.
// Every query is written once, with ? placeholders and the SQL both
// accept; the few fragments that cannot be shared are fields here.
type dialect struct {
	name string
	// migrations is the schema history of this backend (see schema.go).
	migrations []string
	// numbered says placeholders are $1..$n (pgx), not ?.
	numbered bool
	// insertOrIgnore starts an insert that skips rows whose key exists,
	// and ignoreTail ends it.
	insertOrIgnore, ignoreTail string
	// seq is the requests column in commit order (exports).
	seq string
	// false is the literal of a false flag (flags are INTEGER in SQLite,
	// BOOLEAN in PostgreSQL).
	false string
	// day is the UTC day of a row's time, "2006-01-02".
	day string
	// sums are the aggregate columns of the usage reports (report.go).
	sums string
	// purge deletes up to ? captures created at or before ?, and
	// purgeExported only those exported too.
	purge, purgeExported string
	// cleanText makes stored strings valid for the database: PostgreSQL's
	// TEXT refuses NUL bytes and invalid UTF-8, which a caller can put in
	// a model name, and one such row would fail its whole group commit
	// over and over.
	cleanText bool

	rebound sync.Map // query text → its numbered form
}

var sqliteDialect = &dialect{
	name:           BackendSQLite,
	migrations:     migrations,
	insertOrIgnore: "INSERT OR IGNORE INTO ",
	seq:            "rowid",
	false:          "0",
	day:            `strftime('%Y-%m-%d', time / 1000000000, 'unixepoch')`,
	sums: `COUNT(*), SUM(input_tokens), SUM(output_tokens),
	SUM(cached_tokens), SUM(cache_creation_tokens), SUM(reasoning_tokens),
	COALESCE(SUM(cost_nanodollars), 0), SUM(cost_nanodollars IS NULL),
	SUM(estimated != 0), SUM(unpriced != ''),
	COALESCE(GROUP_CONCAT(DISTINCT NULLIF(unpriced, '')), '')`,
	purge: `DELETE FROM captures WHERE rowid IN (
		SELECT rowid FROM captures WHERE created <= ? LIMIT ?)`,
	purgeExported: `DELETE FROM captures WHERE rowid IN (
		SELECT rowid FROM captures WHERE created <= ? AND exported IS NOT NULL LIMIT ?)`,
}

// postgresDialect: SUM of BIGINT is NUMERIC there, so sums cast back;
// booleans are counted with FILTER.
var postgresDialect = &dialect{
	name:           BackendPostgres,
	migrations:     pgMigrations,
	numbered:       true,
	insertOrIgnore: "INSERT INTO ",
	ignoreTail:     " ON CONFLICT DO NOTHING",
	seq:            "seq",
	false:          "false",
	day:            `to_char(to_timestamp(time / 1000000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
	sums: `COUNT(*), SUM(input_tokens)::bigint, SUM(output_tokens)::bigint,
	SUM(cached_tokens)::bigint, SUM(cache_creation_tokens)::bigint, SUM(reasoning_tokens)::bigint,
	COALESCE(SUM(cost_nanodollars), 0)::bigint, COUNT(*) FILTER (WHERE cost_nanodollars IS NULL),
	COUNT(*) FILTER (WHERE estimated), COUNT(*) FILTER (WHERE unpriced != ''),
	COALESCE(STRING_AGG(DISTINCT NULLIF(unpriced, ''), ','), '')`,
	purge: `DELETE FROM captures WHERE request_id IN (
		SELECT request_id FROM captures WHERE created <= ? LIMIT ?)`,
	purgeExported: `DELETE FROM captures WHERE request_id IN (
		SELECT request_id FROM captures WHERE created <= ? AND exported IS NOT NULL LIMIT ?)`,
	cleanText: true,
}

// rebind returns q with its ? placeholders numbered ($1, $2, …) when
// the backend wants them. Question marks inside quoted strings and
// identifiers are left alone. Each query text is rewritten once.
func (d *dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	if r, ok := d.rebound.Load(q); ok {
		return r.(string)
	}
	r := numberPlaceholders(q)
	d.rebound.Store(q, r)
	return r
}

// numberPlaceholders turns each ? outside quotes into $n.
func numberPlaceholders(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte // ' or " while inside one
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// text returns s as the backend can store it: for PostgreSQL, NUL bytes
// dropped and invalid UTF-8 replaced (U+FFFD). A valid string is returned
// as is, without copying.
func (d *dialect) text(s string) string {
	if !d.cleanText || (utf8.ValidString(s) && strings.IndexByte(s, 0) < 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// cleanRow applies text to the string values of row, in place.
func (d *dialect) cleanRow(row []any) {
	if !d.cleanText {
		return
	}
	for i, v := range row {
		if s, ok := v.(string); ok {
			if c := d.text(s); c != s {
				row[i] = c
			}
		}
	}
}
