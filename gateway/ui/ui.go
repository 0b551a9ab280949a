// Package ui is the gateway's web dashboard, served under /ui/: the
// caller's usage over time, logs of sessions and requests, the tools
// models called for them, the models they may use, connection snippets
// for common clients and, for admins, adoption across the tailnet and the
// config editor.
//
// Pages are rendered on the server with html/template from files embedded
// in the binary, charts are server-rendered SVG, and the only JavaScript
// (copy buttons, the config editor's save) is two small embedded files: no
// build step, nothing fetched from elsewhere. The package knows nothing of
// grants or tailnets: the gateway hands it a Source that says who is
// looking and what they may see, and every page scopes what it reads to
// that viewer (users see only their own data; admins see anyone's).
package ui

import (
	"context"
	"errors"
	"log"
	"net/http"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// Prefix is where the dashboard is mounted.
const Prefix = "/ui/"

// Viewer is who is looking at a page, as the gateway identified them from
// the connection (never from headers), with what their grants let them use.
type Viewer struct {
	Principal   string // login name, joined tags or "(loopback)"
	DisplayName string
	Admin       bool
	Models      []Model              // models the viewer may use
	Quotas      []quotas.BalanceView // buckets charged for the viewer's requests
}

// Model is one model a viewer may use, priced for display.
type Model struct {
	ID           string // as clients send it
	FQN          string // "provider/model"
	Provider     string // provider ID
	ProviderName string
	Description  string
	APIs         []string // config.API values the provider speaks
	Endpoints    []string // client-facing request paths
	Basis        string   // pricing basis, "" when unpriced
	// Prices in USD per million tokens ("$3.00"); "" when unknown.
	Input, Output, CacheRead, CacheWrite string
	Quotas                               []quotas.BalanceView // buckets a request to this model charges
}

// ConfigView is the running config as the Settings page shows it.
type ConfigView struct {
	Text     string // HuJSON with secrets masked
	Hash     string // optimistic-concurrency hash to send back on save
	Path     string // file it is saved to; "" when saving is not possible
	Writable bool
	// Hooks are the configured hooks with their recent calls.
	Hooks []HookView
	// Shared is the config version this replica runs and the replicas
	// sharing its database; nil on a single gateway.
	Shared *SharedConfig
}

// Store is the ledger's query side that pages read, as typed rows.
// *ledger.Ledger implements it.
type Store interface {
	Requests(ctx context.Context, q ledger.Query) ([]ledger.Row, error)
	Sessions(ctx context.Context, q ledger.SessionQuery) ([]ledger.SessionRow, error)
	Capture(ctx context.Context, id string) (*ledger.Capture, error)
	// Usage sums requests per user, model or day.
	Usage(ctx context.Context, q ledger.UsageQuery) ([]ledger.UsageRow, error)
	// UsageCells sums requests per UTC day, principal and model.
	UsageCells(ctx context.Context, from, to time.Time, principal string) ([]ledger.UsageCell, error)
	// CapturedAnswers reads the most recent requests with their captured
	// answers, for the Tool Use page. A store that cannot (a wrapper over
	// a store without it) returns errors.ErrUnsupported before calling fn,
	// and the page reads Requests and Capture instead.
	CapturedAnswers(ctx context.Context, q ledger.CapturedAnswerQuery, fn func(ledger.CapturedAnswer) error) error
}

// Source is the gateway's side of the dashboard.
type Source interface {
	// Viewer identifies the sender of r. An error means they may not see
	// the dashboard at all (no identity or no role); its text is shown,
	// so it must be written for the viewer, not hold an internal error's.
	Viewer(r *http.Request) (Viewer, error)
	// QuotasOf lists the buckets charged to another principal, for admins
	// looking at that user's dashboard.
	QuotasOf(principal string) []quotas.BalanceView
	// Store is the ledger, or nil when the gateway keeps none.
	Store() Store
	// Config is the running config for the Settings page (admins only).
	Config() ConfigView
	// Version is the gateway's version, shown in the footer.
	Version() string
	// Notices are gateway-wide warnings about the gateway itself (its
	// tailnet device's name taken, its node key about to expire), shown
	// in a banner above every page, since whoever looks at the dashboard
	// may be the one who can fix them; nil when there are none.
	Notices() []string
}

// Handler serves the dashboard. Create it with New.
type Handler struct {
	src Source
	mux *http.ServeMux
	now func() time.Time
	// Logf receives what a page failed on (log.Printf when New made the
	// handler); the viewer sees only an error ID to quote.
	Logf func(format string, args ...any)
	// ToolUseBytes bounds the answer bytes one Tool Use page view reads
	// (DefaultToolUseBytes from New).
	ToolUseBytes int64
}

// New returns the dashboard handler for src. now is the clock (time.Now
// when nil), so tests can pin "today".
func New(src Source, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	h := &Handler{src: src, now: now, mux: http.NewServeMux(), Logf: log.Printf, ToolUseBytes: DefaultToolUseBytes}
	h.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/", staticHandler()))
	h.mux.HandleFunc("GET /ui/{$}", h.page(h.dashboard))
	h.mux.HandleFunc("GET /ui/dashboard", h.page(h.dashboardPick))
	h.mux.HandleFunc("GET /ui/dashboard/{user}", h.page(h.dashboard))
	h.mux.HandleFunc("GET /ui/logs", h.page(h.logs))
	h.mux.HandleFunc("GET /ui/logs/{id}", h.page(h.detail))
	h.mux.HandleFunc("GET /ui/tooluse", h.page(h.toolUse))
	h.mux.HandleFunc("GET /ui/models", h.page(h.models))
	h.mux.HandleFunc("GET /ui/adoption", h.page(h.adminOnly(h.adoption)))
	h.mux.HandleFunc("GET /ui/settings", h.page(h.adminOnly(h.settings)))
	h.mux.HandleFunc("GET /ui/connect", h.page(h.connect))
	h.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the dashboard only answers GET", http.StatusMethodNotAllowed)
			return
		}
		h.page(func(w http.ResponseWriter, r *http.Request, v Viewer) error {
			return errNotFound
		})(w, r)
	})
	return h
}

// ServeHTTP serves /ui/ and everything under it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	h.mux.ServeHTTP(w, r)
}

// setSecurityHeaders keeps pages from being framed by other sites
// (clickjacking) and lets them run only this package's own scripts and
// styles.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; "+
		"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// pageFunc renders one page for viewer v. Returning an httpError answers
// with its status and an error page.
type pageFunc func(w http.ResponseWriter, r *http.Request, v Viewer) error

// httpError is an error shown to the viewer with a status code.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

var (
	errNotFound  = &httpError{http.StatusNotFound, "There is no such page. The menu above lists every page."}
	errAdminOnly = &httpError{http.StatusForbidden, "This page is for admins. Ask an admin of this gateway if you need it."}
)

// page identifies the viewer, then runs fn; errors become error pages.
func (h *Handler) page(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h.src.Viewer(r)
		if err != nil {
			h.renderError(w, r, Viewer{}, &httpError{http.StatusForbidden, "Access denied: " + err.Error()})
			return
		}
		if err := fn(w, r, v); err != nil {
			h.renderError(w, r, v, err)
		}
	}
}

// adminOnly refuses fn to viewers without the admin role.
func (h *Handler) adminOnly(fn pageFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v Viewer) error {
		if !v.Admin {
			// Say how to become one, with the viewer's own login.
			return &httpError{http.StatusForbidden, errAdminOnly.msg + " " + config.AdminHowToFor(v.Principal)}
		}
		return fn(w, r, v)
	}
}

// scope is whose data a page shows: the viewer's own, or for admins the
// principal they asked for ("" = everyone). A user asking for someone
// else is refused rather than silently shown their own data.
func scope(v Viewer, asked string) (string, error) {
	switch {
	case v.Admin:
		return asked, nil
	case asked == "" || asked == v.Principal:
		return v.Principal, nil
	}
	return "", &httpError{http.StatusForbidden, "You can only see your own usage; admins can see everyone's."}
}

// store returns the ledger or an error page saying there is none.
func (h *Handler) store() (Store, error) {
	st := h.src.Store()
	if st == nil {
		return nil, &httpError{http.StatusServiceUnavailable, "This gateway keeps no ledger, so there is no usage to show."}
	}
	return st, nil
}

// internal wraps an unexpected failure for the error page, which says
// only what failed (what, "reading usage") and an error ID; err itself,
// which may name files and SQL, goes to the log under that ID.
func internal(what string, err error) error {
	if he := (*httpError)(nil); errors.As(err, &he) {
		return err
	}
	return &pageFailure{what: what, err: err}
}

// pageFailure is an unexpected failure of a page: what failed, for the
// viewer, and why, for the log.
type pageFailure struct {
	what string
	err  error
}

func (e *pageFailure) Error() string { return e.what + ": " + e.err.Error() }
func (e *pageFailure) Unwrap() error { return e.err }
