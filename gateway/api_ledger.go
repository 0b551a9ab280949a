package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	mux.HandleFunc("GET /api/requests", s.api(s.serveRequests))
	mux.HandleFunc("GET /api/usage", s.api(s.serveUsage))
	mux.HandleFunc("GET /api/usage.csv", s.api(s.serveUsageCSV))
	mux.HandleFunc("GET /api/quotas", s.api(s.serveQuotas))
	mux.HandleFunc("POST /api/quotas/refill", s.api(s.serveRefill))
}

// scopeFor is whose rows the caller may see: their own, or for admins
// anyone's (the ?user= filter, or everyone when it is empty).
func scopeFor(c *caller, r *http.Request) string {
	if c.isAdmin() {
		return r.URL.Query().Get("user")
	}
	return c.id.Principal()
}

var errNoLedger = clientErr(http.StatusServiceUnavailable, apis.KindUnavailable, "this gateway keeps no ledger")

func (s *Server) store() (Store, error) {
	if s.opts.Store == nil {
		return nil, errNoLedger
	}
	return s.opts.Store, nil
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

var errBadTimeRange = clientErr(http.StatusBadRequest, apis.KindInvalidRequest, "from/to must be RFC 3339 times or YYYY-MM-DD dates")

func timeRange(r *http.Request) (from, to time.Time, err error) {
	var err1, err2 error
	from, err1 = parseTime(r.URL.Query().Get("from"))
	to, err2 = parseTime(r.URL.Query().Get("to"))
	if errors.Join(err1, err2) != nil {
		return from, to, errBadTimeRange
	}
	return from, to, nil
}

// ledgerReq is what every ledger query starts from: who asks, whose rows
// they may see, the store and the time range.
type ledgerReq struct {
	scope    string
	st       Store
	from, to time.Time
}

// ledgerQuery checks the caller and parses the shared parameters.
func (s *Server) ledgerQuery(r *http.Request) (ledgerReq, error) {
	c, err := s.apiCaller(r)
	if err != nil {
		return ledgerReq{}, err
	}
	st, err := s.store()
	if err != nil {
		return ledgerReq{}, err
	}
	from, to, err := timeRange(r)
	if err != nil {
		return ledgerReq{}, err
	}
	return ledgerReq{scope: scopeFor(c, r), st: st, from: from, to: to}, nil
}

func (s *Server) serveRequests(w http.ResponseWriter, r *http.Request) error {
	q, err := s.ledgerQuery(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	limit, _ := strconv.Atoi(v.Get("limit"))
	rows, err := q.st.Requests(r.Context(), ledger.Query{Limit: limit, Before: v.Get("before"), Principal: q.scope,
		Model: v.Get("model"), SessionID: v.Get("session"), From: q.from, To: q.to})
	if err != nil {
		return fmt.Errorf("reading the ledger: %w", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": rows})
	return nil
}

var errBadGroupBy = clientErr(http.StatusBadRequest, apis.KindInvalidRequest, "group_by must be user, model or day")

func (s *Server) serveUsage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.ledgerQuery(r)
	if err != nil {
		return err
	}
	group := r.URL.Query().Get("group_by")
	if group == "" {
		group = "model"
	}
	if group != "user" && group != "model" && group != "day" {
		return errBadGroupBy
	}
	rows, err := q.st.Usage(r.Context(), ledger.UsageQuery{GroupBy: group, From: q.from, To: q.to, Principal: q.scope})
	if err != nil {
		return fmt.Errorf("reading the ledger: %w", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"group_by": group, "usage": rows})
	return nil
}

// serveUsageCSV writes the usage download. The CSV is rendered whole
// before the first byte is sent, so a failed read is still answered as
// an error rather than a cut file.
func (s *Server) serveUsageCSV(w http.ResponseWriter, r *http.Request) error {
	q, err := s.ledgerQuery(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := q.st.UsageCSV(r.Context(), &buf, q.from, q.to, q.scope); err != nil {
		return fmt.Errorf("usage.csv: %w", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="usage.csv"`)
	_, _ = w.Write(buf.Bytes()) // the client hung up; nothing left to tell it
	return nil
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

func (s *Server) serveQuotas(w http.ResponseWriter, r *http.Request) error {
	c, err := s.apiCaller(r)
	if err != nil {
		return err
	}
	if s.opts.Quotas == nil {
		writeJSON(w, http.StatusOK, map[string]any{"quotas": []any{}})
		return nil
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
	out := map[string]any{"quotas": views}
	if c.isAdmin() && r.URL.Query().Get("mine") == "" {
		// Holds of replicas that died, kept charged: what an admin
		// reviews and refunds (refill) if the request never reached
		// the provider. Always empty on a single gateway. Not reading
		// them (the database is flaky) still answers the balances.
		rel, err := s.opts.Quotas.HoldReleases(recentHoldReleases)
		switch {
		case err != nil:
			s.opts.Logf("quotas API: reading released holds: %v", err)
			out["hold_releases_error"] = "released holds could not be read from the shared database right now; the gateway's log says why"
		case rel == nil:
			out["hold_releases"] = []quotas.HoldRelease{}
		default:
			out["hold_releases"] = rel
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// recentHoldReleases is how many released holds /api/quotas lists.
const recentHoldReleases = 50

var (
	errNoQuotas  = clientErr(http.StatusNotFound, apis.KindNotFound, "no quotas are configured")
	errBadRefill = clientErr(http.StatusBadRequest, apis.KindInvalidRequest, "body must be {\"bucket\": NAME, \"amount\": \"$5.00\"}")
	errBadAmount = clientErr(http.StatusBadRequest, apis.KindInvalidRequest, "amount must be a positive dollar amount like \"$5.00\"")
)

// serveRefill adds funds to a bucket (admins). Like config changes it
// must be JSON with the CSRF header, from the gateway's own pages.
func (s *Server) serveRefill(w http.ResponseWriter, r *http.Request) error {
	c, err := s.apiAdmin(r, "refilling quotas")
	if err != nil {
		return err
	}
	if err := checkMutation(r); err != nil {
		return err
	}
	if s.opts.Quotas == nil {
		return errNoQuotas
	}
	var req struct {
		Bucket string `json:"bucket"`
		Amount string `json:"amount"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		return errBadRefill
	}
	amount, err := config.ParseDollars(req.Amount)
	if err != nil || amount <= 0 {
		return errBadAmount
	}
	view, err := s.opts.Quotas.Refill(req.Bucket, amount)
	if err != nil {
		return err // an unknown bucket is the client's 404 (publicError)
	}
	s.opts.Logf("quota %s refilled by %s with %s: balance %s", req.Bucket, c.id.Principal(), req.Amount, view.Balance)
	writeJSON(w, http.StatusOK, view)
	return nil
}

func isJSON(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return len(ct) >= 16 && ct[:16] == "application/json"
}
