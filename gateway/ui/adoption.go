package ui

import (
	"net/http"
	"net/url"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

// topUsers is how many users the Adoption page ranks.
const topUsers = 20

// adoptionBody is the Adoption page (admins): who uses the gateway, how
// much, and which models.
type adoptionBody struct {
	Range       dayRange
	Ranges      []rangeLink
	Totals      usageTotal
	ActiveUsers barChart // distinct principals per day
	Tokens      barChart // everyone's tokens per day by model
	Legend      []series
	Users       []usageTotal
	UserCount   int
	Models      []usageTotal
	MaxRequests int64 // the busiest model's requests, for the bars
	CSVURL      string
	BaseURL     string
}

// adoption shows active users over time, top users, model popularity and
// a CSV download of tokens per model, user and day.
func (h *Handler) adoption(w http.ResponseWriter, r *http.Request, v Viewer) error {
	st, err := h.store()
	if err != nil {
		return err
	}
	d := parseRange(r, h.now(), 30)
	cells, err := readUsage(r.Context(), st, d.From, d.To, "")
	if err != nil {
		return internal("reading usage", err)
	}
	b := adoptionBody{Range: d, Ranges: rangeLinks(r.URL.Path, d.Days, nil), Totals: sumAll(cells), BaseURL: baseURL(r)}
	b.CSVURL = "/api/usage.csv?" + url.Values{"from": {d.From.Format("2006-01-02")}, "to": {d.To.Format("2006-01-02")}}.Encode()

	// One cell per (day, user, model): count each user once a day.
	seen := map[[2]string]bool{}
	active := perDay(cells, d, func(ledger.UsageCell) string { return "active users" }, func(c ledger.UsageCell) int64 {
		k := [2]string{c.Day, c.Principal}
		if seen[k] {
			return 0
		}
		seen[k] = true
		return 1
	})
	b.ActiveUsers = barChart{Title: "Active users per day", Labels: d.Short(), Series: stack(active, d.Days)}
	b.Tokens = barChart{Title: "Tokens per day by model, everyone", Labels: d.Short(),
		Series: stack(perDay(cells, d, func(c ledger.UsageCell) string { return c.Model }, ledger.UsageCell.Tokens), d.Days)}
	b.Legend = b.Tokens.Series
	users := totalsBy(cells, func(c ledger.UsageCell) string { return c.Principal })
	b.UserCount = len(users)
	b.Users = users[:min(len(users), topUsers)]
	b.Models = totalsBy(cells, func(c ledger.UsageCell) string { return c.Model })
	for _, m := range b.Models {
		b.MaxRequests = max(b.MaxRequests, m.Requests)
	}
	return h.render(w, http.StatusOK, "adoption", pageData{Title: "Adoption", Nav: "adoption", Viewer: v, Body: b})
}
