package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/tsplug/ts-plug/gateway/answers"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// Tool Use page bounds. Tool calls exist only in captured answers, which
// must be decompressed and parsed, so the page reads the most recent
// requests of a fixed span, no more than a number of them and of answer
// bytes, and says so.
const (
	toolUseDays     = 7
	toolUseRequests = 2000
	toolUseRows     = 50 // rows per table; the rest are counted
)

// DefaultToolUseBytes bounds the answer bytes one Tool Use page view
// reads (parsing an answer with tool calls costs tens of milliseconds a
// megabyte); Handler.ToolUseBytes changes it, so tests can reach the
// bound without writing hundreds of megabytes.
const DefaultToolUseBytes int64 = 256 << 20

// toolUseBody is the Tool Use page: which tools models called, for whom,
// over the last toolUseDays days.
type toolUseBody struct {
	Range   dayRange
	Admin   bool
	User    string // the admin's filter ("" = everyone)
	Subject string // whose tool use this is ("" = everyone's)

	Requests  int64 // requests in the range, from the ledger's totals
	Read      int64 // the most recent of them read for their answers
	Captured  int64 // of those, with a stored capture
	WithCalls int64 // of those, answers that called a tool
	Calls     int64
	Limited   bool // the bounds stopped the reading before the range's start

	Charts []toolChart
	Tools  toolTable
	Users  toolTable // when an admin looks at everyone
	Models toolTable

	MaxRequests, MaxBytesMB int64 // the bounds, for the page's note
}

// toolChart is one chart of tool calls per day with its legend.
type toolChart struct {
	Heading string
	Chart   barChart
}

// toolTable is a ranking of tools, users or models by calls.
type toolTable struct {
	Rows  []toolTotal
	More  int // rows left out past toolUseRows
	Count int // all rows, shown or not
}

// toolTotal is the calls of one tool, user or model.
type toolTotal struct {
	Key      string
	URL      string // a user's own Tool Use view, for admins
	Calls    int64
	Requests int64 // answers with at least one such call
	Others   int   // distinct users (tool rows) or tools (user and model rows)
	Models   int   // distinct models (tool rows)
	Top      string
	seen     map[string]int64 // tool rows: users; others: calls per tool
	models   map[string]bool
}

// toolUse shows the tool calls of the captured answers of the last
// toolUseDays days: per day by tool, user and model, and ranked. Users
// see their own; admins everyone's or, with ?user=, one user's.
func (h *Handler) toolUse(w http.ResponseWriter, r *http.Request, v Viewer) error {
	asked := r.URL.Query().Get("user")
	subject, err := scope(v, asked)
	if err != nil {
		return err
	}
	st, err := h.store()
	if err != nil {
		return err
	}
	today := h.now().UTC().Truncate(24 * time.Hour)
	d := dayRange{Days: toolUseDays, From: today.AddDate(0, 0, -(toolUseDays - 1)), To: today.AddDate(0, 0, 1)}
	ctx := r.Context()
	cells, err := readUsage(ctx, st, d.From, d.To, subject)
	if err != nil {
		return internal("reading usage", err)
	}
	c := newToolCounter(d, h.ToolUseBytes)
	q := ledger.CapturedAnswerQuery{Principal: subject, From: d.From, To: d.To, Limit: toolUseRequests}
	if err := readAnswers(ctx, st, q, c.add); err != nil && !errors.Is(err, errToolUseBytes) {
		return internal("reading captures", err)
	}
	b := toolUseBody{Range: d, Admin: v.Admin, User: asked, Subject: subject, Requests: sumAll(cells).Requests,
		Read: c.read, Captured: c.captured, WithCalls: c.withCalls, Calls: c.calls,
		Limited: c.read == toolUseRequests || c.bytes > c.maxBytes, MaxRequests: toolUseRequests, MaxBytesMB: c.maxBytes >> 20}
	b.Tools = rank(c.tools)
	b.Models = rank(c.models)
	b.Charts = []toolChart{{"Tool calls per day by tool", barChart{Title: "Tool calls per day by tool", Labels: d.Short(), Series: stack(c.byDay["tool"], d.Days)}}}
	if subject == "" {
		b.Users = rank(c.users)
		for i := range b.Users.Rows {
			b.Users.Rows[i].URL = Prefix + "tooluse?" + url.Values{"user": {b.Users.Rows[i].Key}}.Encode()
		}
		b.Charts = append(b.Charts, toolChart{"Tool calls per day by user", barChart{Title: "Tool calls per day by user", Labels: d.Short(), Series: stack(c.byDay["user"], d.Days)}})
	}
	b.Charts = append(b.Charts, toolChart{"Tool calls per day by model", barChart{Title: "Tool calls per day by model", Labels: d.Short(), Series: stack(c.byDay["model"], d.Days)}})
	return h.render(w, http.StatusOK, "tooluse", pageData{Title: "Tool Use", Nav: "tooluse", Viewer: v, Body: b})
}

// errToolUseBytes stops the reading once the answers read pass
// Handler.ToolUseBytes.
var errToolUseBytes = errors.New("tool use: answer bytes bound reached")

// toolCounter sums the tool calls of answers as they are read.
type toolCounter struct {
	d                         dayRange
	day                       map[string]int // "2006-01-02" → bar
	read, captured, withCalls int64
	calls, bytes              int64
	maxBytes                  int64 // stop reading past this many answer bytes
	tools, users, models      map[string]*toolTotal
	byDay                     map[string]map[string][]int64 // breakdown → key → calls per day
}

func newToolCounter(d dayRange, maxBytes int64) *toolCounter {
	c := &toolCounter{d: d, maxBytes: maxBytes, day: map[string]int{}, tools: map[string]*toolTotal{}, users: map[string]*toolTotal{},
		models: map[string]*toolTotal{}, byDay: map[string]map[string][]int64{"tool": {}, "user": {}, "model": {}}}
	for i, l := range d.Labels() {
		c.day[l] = i
	}
	return c
}

// add counts one request's answer.
func (c *toolCounter) add(a ledger.CapturedAnswer) error {
	if c.bytes > c.maxBytes {
		return errToolUseBytes
	}
	c.read++
	if !a.Captured {
		return nil
	}
	c.captured++
	c.bytes += int64(len(a.Answer))
	calls := answers.ToolCalls(config.API(a.API), a.Answer)
	if len(calls) == 0 {
		return nil
	}
	c.withCalls++
	bar, inRange := c.day[a.Time.UTC().Format("2006-01-02")]
	inRequest := map[string]bool{}
	for _, tc := range calls {
		name := tc.Name
		if name == "" {
			name = "(unnamed)"
		}
		c.calls++
		tool := total(c.tools, name)
		tool.Calls++
		tool.seen[a.Principal]++
		tool.models[a.Model] = true
		if !inRequest[name] {
			tool.Requests++
			inRequest[name] = true
		}
		for _, t := range []*toolTotal{total(c.users, a.Principal), total(c.models, a.Model)} {
			t.Calls++
			t.seen[name]++
		}
		if inRange {
			for _, bk := range [][2]string{{"tool", name}, {"user", a.Principal}, {"model", a.Model}} {
				m := c.byDay[bk[0]]
				if m[bk[1]] == nil {
					m[bk[1]] = make([]int64, c.d.Days)
				}
				m[bk[1]][bar]++
			}
		}
	}
	total(c.users, a.Principal).Requests++
	total(c.models, a.Model).Requests++
	return nil
}

// total is m's entry for key, created empty.
func total(m map[string]*toolTotal, key string) *toolTotal {
	t := m[key]
	if t == nil {
		t = &toolTotal{Key: key, seen: map[string]int64{}, models: map[string]bool{}}
		m[key] = t
	}
	return t
}

// rank orders totals by calls (ties by key) and keeps the first
// toolUseRows; Others, Models and Top are filled from what was seen.
func rank(m map[string]*toolTotal) toolTable {
	out := make([]toolTotal, 0, len(m))
	for _, t := range m {
		t.Others, t.Models = len(t.seen), len(t.models)
		var best int64
		for k, n := range t.seen {
			if n > best || n == best && k < t.Top {
				t.Top, best = k, n
			}
		}
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Calls != out[j].Calls {
			return out[i].Calls > out[j].Calls
		}
		return out[i].Key < out[j].Key
	})
	tb := toolTable{Rows: out, Count: len(out)}
	if len(out) > toolUseRows {
		tb.Rows, tb.More = out[:toolUseRows], len(out)-toolUseRows
	}
	return tb
}

// readAnswers reads the most recent requests matching q with their
// captured answers: through the store's CapturedAnswers, or when that
// is unsupported, a page of requests at a time and each one's capture.
func readAnswers(ctx context.Context, st Store, q ledger.CapturedAnswerQuery, fn func(ledger.CapturedAnswer) error) error {
	called := false
	err := st.CapturedAnswers(ctx, q, func(a ledger.CapturedAnswer) error {
		called = true
		return fn(a)
	})
	if !errors.Is(err, errors.ErrUnsupported) || called {
		return err
	}
	read, before := 0, ""
	for read < q.Limit {
		want := min(ledger.MaxLimit, q.Limit-read)
		rows, err := st.Requests(ctx, ledger.Query{Principal: q.Principal, From: q.From, To: q.To, Before: before, Limit: want})
		if err != nil {
			return fmt.Errorf("reading requests: %w", err)
		}
		for _, row := range rows {
			a := ledger.CapturedAnswer{ID: row.ID, Time: row.Time, Principal: rowPrincipal(row), Model: row.Model,
				API: row.API, Status: row.Status}
			c, err := st.Capture(ctx, row.ID)
			switch {
			case errors.Is(err, ledger.ErrNotFound):
			case err != nil:
				return fmt.Errorf("reading capture %s: %w", row.ID, err)
			default:
				a.Captured, a.Answer, a.Truncated = true, c.ResponseBody, c.Truncated
			}
			if err := fn(a); err != nil {
				return err
			}
		}
		read += len(rows)
		if len(rows) < want {
			return nil
		}
		before = rows[len(rows)-1].ID
	}
	return nil
}
