package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/routing"
)

func (s *Server) ledgerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/requests", s.serveRequests)
	mux.HandleFunc("GET /api/usage", s.serveUsage)
	mux.HandleFunc("GET /api/usage.csv", s.serveUsageCSV)
	mux.HandleFunc("GET /api/quotas", s.serveQuotas)
	mux.HandleFunc("POST /api/quotas/refill", s.serveRefill)
}

// scopeFor is whose rows the caller may see: their own, or for admins
// anyone's (the ?user= filter, or everyone when it is empty).
func scopeFor(c *caller, r *http.Request) string {
	if c.isAdmin() {
		return r.URL.Query().Get("user")
	}
	return c.id.Principal()
}

func (s *Server) store(w http.ResponseWriter) (Store, bool) {
	if s.opts.Store == nil {
		apis.WriteError(w, "", http.StatusServiceUnavailable, apis.KindUnavailable, "this gateway keeps no ledger")
		return nil, false
	}
	return s.opts.Store, true
}

func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

func timeRange(w http.ResponseWriter, r *http.Request) (from, to time.Time, ok bool) {
	var err1, err2 error
	from, err1 = parseTime(r.URL.Query().Get("from"))
	to, err2 = parseTime(r.URL.Query().Get("to"))
	if err := errors.Join(err1, err2); err != nil {
		apis.WriteError(w, "", http.StatusBadRequest, apis.KindInvalidRequest, "from/to must be RFC 3339 times or YYYY-MM-DD dates")
		return from, to, false
	}
	return from, to, true
}

// ledgerReq is what every ledger query starts from: who asks, whose rows
// they may see, the store and the time range.
type ledgerReq struct {
	scope    string
	st       Store
	from, to time.Time
}

// ledgerQuery checks the caller and parses the shared parameters,
// answering the error itself when it returns ok=false.
func (s *Server) ledgerQuery(w http.ResponseWriter, r *http.Request) (ledgerReq, bool) {
	c, ok := s.callerFor(w, r)
	if !ok {
		return ledgerReq{}, false
	}
	st, ok := s.store(w)
	if !ok {
		return ledgerReq{}, false
	}
	from, to, ok := timeRange(w, r)
	if !ok {
		return ledgerReq{}, false
	}
	return ledgerReq{scope: scopeFor(c, r), st: st, from: from, to: to}, true
}

func (s *Server) serveRequests(w http.ResponseWriter, r *http.Request) {
	q, ok := s.ledgerQuery(w, r)
	if !ok {
		return
	}
	v := r.URL.Query()
	limit, _ := strconv.Atoi(v.Get("limit"))
	rows, err := q.st.Requests(r.Context(), ledger.Query{Limit: limit, Before: v.Get("before"), Principal: q.scope,
		Model: v.Get("model"), SessionID: v.Get("session"), From: q.from, To: q.to})
	if err != nil {
		apis.WriteError(w, "", http.StatusInternalServerError, apis.KindInternal, "reading the ledger: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": rows})
}

func (s *Server) serveUsage(w http.ResponseWriter, r *http.Request) {
	q, ok := s.ledgerQuery(w, r)
	if !ok {
		return
	}
	group := r.URL.Query().Get("group_by")
	if group == "" {
		group = "model"
	}
	if group != "user" && group != "model" && group != "day" {
		apis.WriteError(w, "", http.StatusBadRequest, apis.KindInvalidRequest, "group_by must be user, model or day")
		return
	}
	rows, err := q.st.Usage(r.Context(), ledger.UsageQuery{GroupBy: group, From: q.from, To: q.to, Principal: q.scope})
	if err != nil {
		apis.WriteError(w, "", http.StatusInternalServerError, apis.KindInternal, "reading the ledger: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"group_by": group, "usage": rows})
}

func (s *Server) serveUsageCSV(w http.ResponseWriter, r *http.Request) {
	q, ok := s.ledgerQuery(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="usage.csv"`)
	if err := q.st.UsageCSV(r.Context(), w, q.from, q.to, q.scope); err != nil {
		s.opts.Logf("usage.csv: %v", err)
	}
}

// callerRefs are the quota buckets that apply to the caller for any model
// they may use, and floating ones.
func callerRefs(c *caller) []quotas.BucketRef {
	seen := map[string]bool{}
	var refs []quotas.BucketRef
	add := func(fqn string) {
		sc := c.access.ForModel(fqn)
		for _, ref := range quotas.Refs(sc.Buckets, sc.BucketDefs) {
			if !seen[ref.Name] {
				seen[ref.Name] = true
				refs = append(refs, ref)
			}
		}
	}
	add("")
	for _, m := range routing.Models(c.cfg(), c.access) {
		add(m.FQN)
	}
	return refs
}

func (s *Server) serveQuotas(w http.ResponseWriter, r *http.Request) {
	c, ok := s.callerFor(w, r)
	if !ok {
		return
	}
	if s.opts.Quotas == nil {
		writeJSON(w, http.StatusOK, map[string]any{"quotas": []any{}})
		return
	}
	// Everyone sees their own buckets, used yet or not; admins also see
	// every bucket in use (unless ?mine=1).
	views := s.opts.Quotas.Lookup(callerRefs(c))
	if c.isAdmin() && r.URL.Query().Get("mine") == "" {
		seen := make(map[string]bool, len(views))
		for _, v := range views {
			seen[v.Bucket] = true
		}
		for _, v := range s.opts.Quotas.Balances(nil) {
			if !seen[v.Bucket] {
				views = append(views, v)
			}
		}
	}
	if views == nil {
		views = []quotas.BalanceView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"quotas": views})
}

// serveRefill adds funds to a bucket (admins). Like config changes it
// must be JSON with the CSRF header, from the gateway's own pages.
func (s *Server) serveRefill(w http.ResponseWriter, r *http.Request) {
	c, ok := s.callerFor(w, r)
	if !ok {
		return
	}
	if !c.isAdmin() {
		apis.WriteError(w, "", http.StatusForbidden, apis.KindPermissionDenied, c.notAdmin("refilling quotas"))
		return
	}
	if !checkMutation(w, r) {
		return
	}
	if s.opts.Quotas == nil {
		apis.WriteError(w, "", http.StatusNotFound, apis.KindNotFound, "no quotas are configured")
		return
	}
	var req struct {
		Bucket string `json:"bucket"`
		Amount string `json:"amount"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		apis.WriteError(w, "", http.StatusBadRequest, apis.KindInvalidRequest, "body must be {\"bucket\": NAME, \"amount\": \"$5.00\"}")
		return
	}
	amount, err := config.ParseDollars(req.Amount)
	if err != nil || amount <= 0 {
		apis.WriteError(w, "", http.StatusBadRequest, apis.KindInvalidRequest, "amount must be a positive dollar amount like \"$5.00\"")
		return
	}
	view, err := s.opts.Quotas.Refill(req.Bucket, amount)
	if errors.Is(err, quotas.ErrUnknownBucket) {
		apis.WriteError(w, "", http.StatusNotFound, apis.KindNotFound, err.Error())
		return
	} else if err != nil {
		apis.WriteError(w, "", http.StatusBadRequest, apis.KindInvalidRequest, err.Error())
		return
	}
	s.opts.Logf("quota %s refilled by %s with %s: balance %s", req.Bucket, c.id.Principal(), req.Amount, view.Balance)
	writeJSON(w, http.StatusOK, view)
}

func isJSON(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return len(ct) >= 16 && ct[:16] == "application/json"
}
