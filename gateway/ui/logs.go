package ui

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

// Logs page limits: the most recent sessions and requests matching the
// filters; narrower dates reach older ones.
const (
	logSessions = 50
	logRequests = 500
)

// logFilter is the Logs page's filter form, as submitted.
type logFilter struct {
	From, To string // inclusive dates, "2006-01-02"
	User     string // admins only
	Model    string
	Session  string
}

// logsBody is the Logs page.
type logsBody struct {
	Filter    logFilter
	Admin     bool
	Models    []string // the model filter's choices
	Sessions  []sessionView
	Loose     []ledger.Row // requests that belong to no session
	Requests  []ledger.Row // one session's requests, when Filter.Session is set
	Truncated bool         // limits hid older rows
	Error     string       // a filter that does not parse
	BaseURL   string
}

// sessionView is one session with the requests of it the page fetched.
type sessionView struct {
	ledger.SessionRow
	DurationMS int64
	Rows       []ledger.Row
	More       bool   // the session has requests not fetched here
	URL        string // the session's own page
}

// logs lists sessions with their totals, each expandable to its
// requests; ?session= shows one session's requests.
func (h *Handler) logs(w http.ResponseWriter, r *http.Request, v Viewer) error {
	q := r.URL.Query()
	f := logFilter{From: q.Get("from"), To: q.Get("to"), User: q.Get("user"), Model: q.Get("model"), Session: q.Get("session")}
	subject, err := scope(v, f.User)
	if err != nil {
		return err
	}
	st, err := h.store()
	if err != nil {
		return err
	}
	b := logsBody{Filter: f, Admin: v.Admin, BaseURL: baseURL(r)}
	for _, m := range v.Models {
		if !slices.Contains(b.Models, m.ID) {
			b.Models = append(b.Models, m.ID)
		}
	}
	from, to, ferr := dateFilter(f.From, f.To)
	if ferr != "" {
		b.Error = ferr
		return h.render(w, http.StatusBadRequest, "logs", pageData{Title: "Logs", Nav: "logs", Viewer: v, Body: b})
	}
	ctx := r.Context()
	rows, err := st.Requests(ctx, ledger.Query{Principal: subject, Model: f.Model, SessionID: f.Session,
		From: from, To: to, Limit: logRequests})
	if err != nil {
		return internal("reading requests", err)
	}
	b.Truncated = len(rows) == logRequests
	if f.Session != "" {
		b.Requests = rows
		return h.render(w, http.StatusOK, "logs", pageData{Title: "Session " + f.Session, Nav: "logs", Viewer: v, Body: b})
	}
	var sessions []ledger.SessionRow
	if f.Model == "" {
		if sessions, err = st.Sessions(ctx, ledger.SessionQuery{Principal: subject, From: from, To: to, Limit: logSessions}); err != nil {
			return internal("reading sessions", err)
		}
		b.Truncated = b.Truncated || len(sessions) == logSessions
	} else {
		// Sessions cannot be filtered by model in the ledger; sum the
		// matching requests instead.
		sessions = sessionsOf(rows)
	}
	byKey := map[string][]ledger.Row{}
	for _, row := range rows {
		if row.SessionID == "" {
			b.Loose = append(b.Loose, row)
			continue
		}
		k := row.SessionID + "\x00" + rowPrincipal(row)
		byKey[k] = append(byKey[k], row)
	}
	for _, s := range sessions {
		sv := sessionView{SessionRow: s, DurationMS: s.Last.Sub(s.First).Milliseconds()}
		sv.Rows = byKey[s.SessionID+"\x00"+s.Principal]
		sv.More = int64(len(sv.Rows)) < s.Requests
		sq := url.Values{"session": {s.SessionID}}
		if v.Admin {
			sq.Set("user", s.Principal)
		}
		sv.URL = Prefix + "logs?" + sq.Encode()
		b.Sessions = append(b.Sessions, sv)
	}
	return h.render(w, http.StatusOK, "logs", pageData{Title: "Logs", Nav: "logs", Viewer: v, Body: b})
}

// dateFilter turns the form's inclusive dates into [from, to). It
// returns a message for a date that does not parse.
func dateFilter(fromS, toS string) (from, to time.Time, msg string) {
	var err error
	if fromS != "" {
		if from, err = time.Parse("2006-01-02", fromS); err != nil {
			return from, to, "The start date must look like 2026-04-23."
		}
	}
	if toS != "" {
		if to, err = time.Parse("2006-01-02", toS); err != nil {
			return from, to, "The end date must look like 2026-04-23."
		}
		to = to.AddDate(0, 0, 1)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, "The start date is after the end date."
	}
	return from, to, ""
}

// sessionsOf sums rows into sessions (most recently active first), for
// when the ledger's session totals cannot apply the page's filters.
func sessionsOf(rows []ledger.Row) []ledger.SessionRow {
	m := map[string]*ledger.SessionRow{}
	var keys []string
	for _, r := range rows {
		if r.SessionID == "" {
			continue
		}
		p := rowPrincipal(r)
		k := r.SessionID + "\x00" + p
		s := m[k]
		if s == nil {
			s = &ledger.SessionRow{SessionID: r.SessionID, Principal: p, First: r.Time, Last: r.Time}
			m[k] = s
			keys = append(keys, k)
		}
		if r.Time.Before(s.First) {
			s.First = r.Time
		}
		if r.Time.After(s.Last) {
			s.Last = r.Time
		}
		s.Requests++
		s.InputTokens += r.InputTokens
		s.OutputTokens += r.OutputTokens
		s.CachedTokens += r.CachedTokens
		s.CacheCreationTokens += r.CacheCreationTokens
		s.ReasoningTokens += r.ReasoningTokens
		s.Tokens += r.InputTokens + r.OutputTokens + r.CachedTokens + r.CacheCreationTokens
		if r.CostNanos != nil {
			s.CostNanos += *r.CostNanos
		} else {
			s.UnknownCostRequests++
		}
	}
	out := make([]ledger.SessionRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, *m[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	return out
}

// rowPrincipal is who made a request row: its tag set, its login name,
// or "(loopback)" (the ledger stores no login for local callers).
func rowPrincipal(r ledger.Row) string {
	switch {
	case len(r.Tags) > 0:
		return strings.Join(r.Tags, ",")
	case r.LoginName != "":
		return r.LoginName
	}
	return r.Node
}

// requestTable is a table of requests; admins also see who made each.
type requestTable struct {
	Rows  []ledger.Row
	Admin bool
}

func newRequestTable(rows []ledger.Row, admin bool) requestTable { return requestTable{rows, admin} }

// detailURL is the link to a request's detail page. The request time
// lets the page find the row with an indexed time range.
func detailURL(r ledger.Row) string {
	return Prefix + "logs/" + url.PathEscape(r.ID) + "?" + url.Values{"t": {r.Time.UTC().Format(time.RFC3339Nano)}}.Encode()
}
