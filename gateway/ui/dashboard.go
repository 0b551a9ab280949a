package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

// dashboardBody is the Dashboard page: one principal's usage over a range
// of days, their latest requests and their spending limits.
type dashboardBody struct {
	Subject  string // whose usage this is
	Own      bool   // the viewer's own dashboard
	Range    dayRange
	Ranges   []rangeLink
	Totals   usageTotal
	Sessions int
	Tokens   barChart // tokens per day by model
	Cost     barChart // cost per day by model
	Legend   []series
	Models   []usageTotal
	Recent   []ledger.Row
	Limits   []limit  // the subject's spending limits
	Users    []string // admins: principals with usage, to pick another dashboard
	BaseURL  string
}

// rangeLink is one choice of span (7, 30, 90 days).
type rangeLink struct {
	Days    int
	URL     string
	Current bool
}

// rangeLinks offers the spans on the page at path.
func rangeLinks(path string, cur int, q url.Values) []rangeLink {
	var out []rangeLink
	for _, d := range rangeChoices {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("days", strconv.Itoa(d))
		out = append(out, rangeLink{Days: d, URL: path + "?" + v.Encode(), Current: d == cur})
	}
	return out
}

// dashboardPick sends an admin's "open this user's dashboard" form to the
// user's dashboard URL.
func (h *Handler) dashboardPick(w http.ResponseWriter, r *http.Request, v Viewer) error {
	u := r.URL.Query().Get("user")
	if u == "" {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, Prefix+"dashboard/"+url.PathEscape(u), http.StatusSeeOther)
	return nil
}

// dashboard shows the viewer's own usage at /ui/, or at
// /ui/dashboard/{user} anyone's for admins (and their own for users).
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, v Viewer) error {
	asked := r.PathValue("user")
	if asked == "" {
		asked = v.Principal
	}
	subject, err := scope(v, asked)
	if err != nil {
		return err
	}
	st, err := h.store()
	if err != nil {
		return err
	}
	ctx := r.Context()
	d := parseRange(r, h.now(), 14)
	b := dashboardBody{Subject: subject, Own: subject == v.Principal, Range: d, BaseURL: baseURL(r)}
	b.Ranges = rangeLinks(r.URL.Path, d.Days, nil)
	cells, err := readUsage(ctx, st, d.From, d.To, subject)
	if err != nil {
		return internal("reading usage", err)
	}
	b.Totals = sumAll(cells)
	b.Models = totalsBy(cells, func(c ledger.UsageCell) string { return c.Model })
	byModel := func(c ledger.UsageCell) string { return c.Model }
	b.Tokens = barChart{Title: "Tokens per day by model", Labels: d.Short(),
		Series: stack(perDay(cells, d, byModel, ledger.UsageCell.Tokens), d.Days)}
	b.Legend = b.Tokens.Series
	b.Cost = barChart{Title: "Cost per day by model", Labels: d.Short(), Format: FormatUSD,
		Series: stackLike(perDay(cells, d, byModel, func(c ledger.UsageCell) int64 { return c.CostNanos }), b.Legend, d.Days)}
	sessions, err := st.Sessions(ctx, ledger.SessionQuery{Principal: subject, From: d.From, To: d.To, Limit: ledger.MaxLimit})
	if err != nil {
		return internal("reading sessions", err)
	}
	b.Sessions = len(sessions)
	if b.Recent, err = st.Requests(ctx, ledger.Query{Principal: subject, Limit: 10}); err != nil {
		return internal("reading requests", err)
	}
	if b.Own {
		b.Limits = limits(v.Quotas, v.Models)
	} else {
		b.Limits = limits(h.src.QuotasOf(subject), nil)
	}
	if v.Admin {
		// Everyone with usage in the range, ordered by name.
		users, err := st.Usage(ctx, ledger.UsageQuery{GroupBy: ledger.GroupByUser, From: d.From, To: d.To})
		if err != nil {
			return internal("reading usage", err)
		}
		for _, u := range users {
			b.Users = append(b.Users, u.Key)
		}
	}
	title := "Dashboard"
	if !b.Own {
		title = "Dashboard of " + subject
	}
	return h.render(w, http.StatusOK, "dashboard", pageData{Title: title, Nav: "dashboard", Viewer: v, Body: b})
}
