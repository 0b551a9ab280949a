package ledger

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/pricing"
)

// Usage groupings.
const (
	GroupByUser  = "user"  // by principal (login, tag set or "(loopback)")
	GroupByModel = "model" // by model name
	GroupByDay   = "day"   // by UTC calendar day, "2006-01-02"
)

// UsageQuery selects the rows Usage sums. Zero fields do not filter.
type UsageQuery struct {
	GroupBy   string    // GroupByUser, GroupByModel or GroupByDay
	From      time.Time // inclusive
	To        time.Time // exclusive
	Principal string    // only this caller ("" = everyone)
}

// UsageTotals are the sums of a group of requests. CostNanos adds up
// the known costs only; UnknownCostRequests counts the requests whose
// cost is unknown, so a total is never silently presented as complete.
// Likewise EstimatedRequests counts the requests whose tokens are the
// gateway's estimate (the answer ended before the provider's final
// usage), and UnpricedRequests those with a cost component the gateway
// could not price, which CostNanos leaves out; Unpriced lists those
// components (sorted, comma-separated).
type UsageTotals struct {
	Requests            int64  `json:"requests"`
	InputTokens         int64  `json:"input_tokens"`
	OutputTokens        int64  `json:"output_tokens"`
	CachedTokens        int64  `json:"cached_tokens"`
	CacheCreationTokens int64  `json:"cache_creation_tokens"`
	ReasoningTokens     int64  `json:"reasoning_tokens"`
	CostNanos           int64  `json:"cost_nanodollars"`
	UnknownCostRequests int64  `json:"unknown_cost_requests"`
	EstimatedRequests   int64  `json:"estimated_requests"`
	UnpricedRequests    int64  `json:"unpriced_requests"`
	Unpriced            string `json:"unpriced"`
}

// Tokens is every input and output token of the totals (reasoning
// tokens are output tokens already).
func (t UsageTotals) Tokens() int64 {
	return t.InputTokens + t.CachedTokens + t.CacheCreationTokens + t.OutputTokens
}

// UsageRow is the sum of one group's requests (see Usage). Its JSON is
// the key and the totals side by side.
type UsageRow struct {
	Key string `json:"key"`
	UsageTotals
}

// UsageCell is the sum of one UTC day's requests of one principal to one
// model: the finest grain of the usage reports, from which the dashboard
// draws its charts and UsageCSV writes its lines. Names are as stored,
// with no spreadsheet guard (that is the CSV's concern).
type UsageCell struct {
	Day       string // UTC, "2006-01-02"
	Principal string // login name, joined tags or "(loopback)"
	Model     string
	UsageTotals
}

// The UTC day of a row is the dialect's day expression, and the aggregate
// columns shared by Usage, UsageCells and Sessions its sums: requests,
// the token sums, the known cost, then the requests of unknown cost,
// estimated and unpriced, and the distinct unpriced lists joined by
// commas. The distinct lists of a group are few (combinations of a
// handful of components), whatever its number of rows.

// scanTargets returns pointers to r's summed fields, in sums order. After
// the scan, r.merge must run.
func (r *UsageTotals) scanTargets() []any {
	return []any{&r.Requests, &r.InputTokens, &r.OutputTokens, &r.CachedTokens,
		&r.CacheCreationTokens, &r.ReasoningTokens, &r.CostNanos, &r.UnknownCostRequests,
		&r.EstimatedRequests, &r.UnpricedRequests, &r.Unpriced}
}

// merge turns the concatenated unpriced lists of r's rows into one
// sorted list without repeats.
func (r *UsageTotals) merge() { r.Unpriced = mergeUnpriced(r.Unpriced) }

// mergeUnpriced sorts the comma-separated components of s and drops
// repeats and empty ones: "web_search,audio_input,web_search" is
// "audio_input,web_search".
func mergeUnpriced(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	slices.Sort(parts)
	parts = slices.Compact(parts)
	if parts[0] == "" {
		parts = parts[1:]
	}
	return strings.Join(parts, ",")
}

// Usage sums tokens, cost and requests per user, model or day, ordered by
// key.
func (l *Ledger) Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	l.readOwnWrites(ctx)
	var key string
	switch q.GroupBy {
	case GroupByUser:
		key = "principal"
	case GroupByModel:
		key = "model"
	case GroupByDay:
		key = l.db.d.day
	default:
		return nil, fmt.Errorf("usage: unknown grouping %q (want user, model or day)", q.GroupBy)
	}
	var f filter
	f.common(q.Principal, q.From, q.To)
	rows, err := l.db.QueryContext(ctx, `SELECT `+key+` AS k, `+l.db.d.sums+
		` FROM requests`+f.sql()+` GROUP BY k ORDER BY k`, f.args...)
	if err != nil {
		return nil, fmt.Errorf("usage by %s: %w", q.GroupBy, err)
	}
	defer rows.Close()
	out := []UsageRow{}
	for rows.Next() {
		var r UsageRow
		if err := rows.Scan(append([]any{&r.Key}, r.scanTargets()...)...); err != nil {
			return nil, fmt.Errorf("usage by %s: %w", q.GroupBy, err)
		}
		r.merge()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("usage by %s: %w", q.GroupBy, err)
	}
	return out, nil
}

// csvHeader is the first line of UsageCSV.
var csvHeader = []string{"date", "user", "model", "requests", "input_tokens",
	"output_tokens", "cached_tokens", "cache_creation_tokens", "reasoning_tokens",
	"cost_nanodollars", "cost_usd", "unknown_cost_requests",
	"estimated_requests", "unpriced_requests", "unpriced"}

// UsageCells sums the requests in [from, to) (zero times do not bound)
// per UTC day, principal and model, for one principal or everyone
// (""), ordered by day, principal and model.
func (l *Ledger) UsageCells(ctx context.Context, from, to time.Time, principal string) ([]UsageCell, error) {
	l.readOwnWrites(ctx)
	var f filter
	f.common(principal, from, to)
	rows, err := l.db.QueryContext(ctx, `SELECT `+l.db.d.day+` AS d, principal, model, `+l.db.d.sums+
		` FROM requests`+f.sql()+` GROUP BY d, principal, model ORDER BY d, principal, model`, f.args...)
	if err != nil {
		return nil, fmt.Errorf("usage cells: %w", err)
	}
	defer rows.Close()
	out := []UsageCell{}
	for rows.Next() {
		var c UsageCell
		if err := rows.Scan(append([]any{&c.Day, &c.Principal, &c.Model}, c.scanTargets()...)...); err != nil {
			return nil, fmt.Errorf("usage cells: %w", err)
		}
		c.merge()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("usage cells: %w", err)
	}
	return out, nil
}

// UsageCSV writes the Adoption page download: UsageCells, one line per
// UTC day, user and model. cost_usd is the exact decimal of
// cost_nanodollars (no float rounding), for spreadsheets.
// estimated_requests, unpriced_requests and unpriced say how much of a
// line's totals is an estimate or leaves a cost out (see UsageTotals).
func (l *Ledger) UsageCSV(ctx context.Context, w io.Writer, from, to time.Time, principal string) error {
	cells, err := l.UsageCells(ctx, from, to, principal)
	if err != nil {
		return fmt.Errorf("usage csv: %w", err)
	}
	return writeUsageCSV(w, cells)
}

// writeUsageCSV writes cells under csvHeader, text guarded by csvText.
func writeUsageCSV(w io.Writer, cells []UsageCell) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("usage csv: %w", err)
	}
	for _, c := range cells {
		rec := []string{c.Day, csvText(c.Principal), csvText(c.Model)}
		for _, n := range []int64{c.Requests, c.InputTokens, c.OutputTokens,
			c.CachedTokens, c.CacheCreationTokens, c.ReasoningTokens, c.CostNanos} {
			rec = append(rec, strconv.FormatInt(n, 10))
		}
		rec = append(rec, pricing.FormatUSD(c.CostNanos), strconv.FormatInt(c.UnknownCostRequests, 10),
			strconv.FormatInt(c.EstimatedRequests, 10), strconv.FormatInt(c.UnpricedRequests, 10), csvText(c.Unpriced))
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("usage csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("usage csv: %w", err)
	}
	return nil
}

// csvText defuses spreadsheet formula injection: a text cell starting
// with =, +, - or @ would be evaluated by spreadsheet programs, and model
// names come from callers.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// SessionQuery selects sessions. Zero fields do not filter.
type SessionQuery struct {
	Principal string    // only this caller's sessions ("" = everyone's)
	From      time.Time // rows at or after
	To        time.Time // rows before
	Limit     int       // 0 = DefaultLimit, capped at MaxLimit
}

// SessionRow sums one session of one principal. The same session ID from
// two principals (e.g. two users whose chats began with the same message
// and so share a fingerprint) is two rows.
type SessionRow struct {
	SessionID string    `json:"session_id"`
	Principal string    `json:"principal"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Tokens    int64     `json:"tokens"` // all input and output
	UsageTotals
}

// Sessions returns sessions with their request counts, tokens and cost,
// most recently active first. Requests without a session ID are left out.
func (l *Ledger) Sessions(ctx context.Context, q SessionQuery) ([]SessionRow, error) {
	l.readOwnWrites(ctx)
	limit := pageSize(q.Limit)
	var f filter
	f.add("session_id != ''")
	f.common(q.Principal, q.From, q.To)
	rows, err := l.db.QueryContext(ctx, `SELECT session_id, principal, MIN(time), MAX(time) AS last, `+l.db.d.sums+
		` FROM requests`+f.sql()+` GROUP BY session_id, principal ORDER BY last DESC, session_id LIMIT ?`,
		append(f.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("query sessions: %w", err)
	}
	defer rows.Close()
	out := []SessionRow{}
	for rows.Next() {
		var s SessionRow
		var first, last int64
		if err := rows.Scan(append([]any{&s.SessionID, &s.Principal, &first, &last}, s.UsageTotals.scanTargets()...)...); err != nil {
			return nil, fmt.Errorf("query sessions: %w", err)
		}
		s.First, s.Last = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		s.UsageTotals.merge()
		s.Tokens = s.UsageTotals.Tokens()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query sessions: %w", err)
	}
	return out, nil
}
