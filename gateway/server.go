// Package gateway is aperture's request path: for every call it learns who
// is calling, checks their grants, picks the provider, swaps the client's
// credential for the provider's key, forwards the request unchanged in the
// provider's own API and streams the answer back, metering it on the side.
package gateway

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/hooks"
	"github.com/tsplug/ts-plug/gateway/identity"
	"github.com/tsplug/ts-plug/gateway/pricing"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// DefaultMaxBodyBytes bounds request bodies; larger ones get 413.
const DefaultMaxBodyBytes = 50 << 20

// Options configure a Server.
type Options struct {
	// WhoIs identifies tailnet callers. Nil means there is no tailnet:
	// only the local handler's loopback callers have an identity.
	WhoIs identity.WhoIsFunc
	// Admins are grant srcs (logins, tags, "(loopback)" for the local
	// listener) the operator made admins on the command line (--admin,
	// --local-admin). They are admins whatever the config says, so no
	// config save can lock them out.
	Admins []string
	// Ledger records every request; nil keeps nothing.
	Ledger Ledger
	// Store answers ledger queries (the JSON API); nil answers 503.
	Store Store
	// Hostnames, if set, returns the names the gateway answers to besides
	// IP addresses and localhost (its device name and MagicDNS names);
	// requests with any other Host are refused (DNS rebinding).
	Hostnames func() []string
	// OnConfig, if set, is told of every config that goes into force.
	OnConfig func(*config.Config)
	// Notices, if set, lists warnings about the gateway itself (its
	// device's name taken, its node key expiring) for the dashboard's
	// banner.
	Notices func() []string
	// Quotas enforces spending limits; nil enforces none.
	Quotas *quotas.Manager
	// Transport carries requests to providers; nil means a tuned default.
	Transport http.RoundTripper
	// Logf logs gateway events; nil means log.Printf.
	Logf func(format string, args ...any)
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	Version      string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ConfigPath is the config file PUT /api/config writes; "" means
	// the config cannot be saved through the API.
	ConfigPath string
	// AllowedSecretRefs lists the env:/file: references a config saved
	// through the API or the Settings page may use besides those in the
	// config files the host's admin wrote: "env:NAME" or "file:PATH",
	// each a path.Match pattern ("env:ANTHROPIC_*",
	// "file:/etc/aperture/keys/*"; relative file: paths are from the
	// config file's directory). Any other reference is refused on save,
	// since it would be read on this host.
	AllowedSecretRefs []string
	// ConfigSync, when replicas share a database, stores each config saved
	// through the API as the next shared version (ApplySharedConfig applies
	// the others'); /healthz then reports the database. Nil: one gateway.
	ConfigSync ConfigSync
	// Replicas lists the replicas sharing the database for /api/config and
	// the Settings page; nil lists none.
	Replicas Replicas

	// Metrics registers the collectors of the gateway's companions (the
	// S3 exporter) on the gateway's /metrics registry; nil for none.
	Metrics func(prometheus.Registerer) error
}

// Server is the gateway. It is an http.Handler for tailnet callers;
// LocalHandler serves the plain loopback listener.
type Server struct {
	opts  Options
	state atomic.Pointer[runtimeConfig]
	// hostnames is the last list of names opts.Hostnames gave (hostAllowed).
	hostnames atomic.Pointer[hostnameList]
	mux       *http.ServeMux
	ids       idGen
	// metrics counts requests for GET /metrics; saveMu serializes
	// config saves so two admins cannot both pass the hash check.
	metrics *metrics
	saveMu  sync.Mutex
	// unwrittenFile is the hash of the config file's text when a shared
	// version could not be written over it (a read-only mount): the
	// watcher leaves that text alone instead of reloading it over the
	// shared version. Guarded by saveMu.
	unwrittenFile string
	// writeFile writes the config file (writeFileAtomic; tests fail it).
	writeFile func(path string, data []byte) error
	dbHealth  healthCache // /healthz's database ping
	// inflight counts provider calls being served and background work
	// that outlives a request (queueing big captures): Wait lets both
	// finish before the ledger closes.
	inflight   sync.WaitGroup
	background sync.WaitGroup
	// responses remembers who created each stored OpenAI response, and
	// how much input continuing it carries.
	responses storedResponses
	// callers bounds each caller's requests and buffered bytes in flight.
	callers callerLimiter
	// whois is opts.WhoIs behind a short cache.
	whois  identity.WhoIsFunc
	whoisC whoisCache
	// refs decides which env:/file: references a saved config may use.
	refs *secretRefPolicy
	// hooks runs guardrails and delivers webhooks.
	hooks *hooks.Runner
}

// runtimeConfig is one loaded config and what is derived from it. A
// request keeps the one it started with, so a reload never changes the
// rules under a request in flight.
type runtimeConfig struct {
	access accessCache // grant evaluations under this config
	cfg    *config.Config
	src    []byte
	prices *pricing.Resolver
	loaded time.Time
}

// New returns a gateway serving cfg (parsed from src).
func New(cfg *config.Config, src []byte, opts Options) (*Server, error) {
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if opts.Ledger == nil {
		opts.Ledger = noLedger{}
	}
	if opts.Transport == nil {
		opts.Transport = defaultTransport()
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	refs, err := newSecretRefPolicy(opts.AllowedSecretRefs, opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	// Replicas sharing the config trust only their host's allow-list
	// (secretRefPolicy.patternsOnly); a single gateway, the config its
	// host's admin started it with too.
	refs.patternsOnly = opts.ConfigSync != nil
	refs.approveText(src)
	s := &Server{opts: opts, metrics: newMetrics(opts), refs: refs, writeFile: writeFileAtomic}
	// Hook URLs may be tailnet names: the provider transport dials them
	// through the gateway's own node.
	s.hooks = hooks.New(hooks.Options{Transport: opts.Transport, Logf: opts.Logf, UserAgent: "aperture/" + opts.Version})
	if err := s.hooks.Register(s.metrics.reg); err != nil {
		return nil, fmt.Errorf("hook metrics: %w", err)
	}
	if opts.Metrics != nil {
		if err := opts.Metrics(s.metrics.reg); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	s.whois = s.whoisC.wrap(opts.WhoIs, opts.Now)
	if err := s.SetConfig(cfg, src); err != nil {
		return nil, err
	}
	s.mux = s.routes()
	return s, nil
}

// SetConfig swaps in a new config atomically: requests already running
// finish under the old one.
func (s *Server) SetConfig(cfg *config.Config, src []byte) error {
	if cfg == nil {
		return fmt.Errorf("no config")
	}
	prices, err := resolverFor(cfg)
	if err != nil {
		return fmt.Errorf("pricing: %w", err)
	}
	if s.opts.Quotas != nil {
		s.opts.Quotas.Configure(cfg.Quotas)
	}
	s.state.Store(&runtimeConfig{cfg: cfg, src: src, prices: prices, loaded: s.opts.Now()})
	if s.opts.OnConfig != nil {
		s.opts.OnConfig(cfg)
	}
	return nil
}

// Config returns the config in force and the text it came from.
func (s *Server) Config() (*config.Config, []byte) {
	rc := s.state.Load()
	return rc.cfg, rc.src
}

// Wait returns once the provider calls still being served and the work
// they started (captures being queued to the ledger) are done, or after
// limit, reporting which. Call it after the HTTP servers have shut down
// or closed and before the ledger closes: when the grace period cuts a
// stream, http.Server.Close returns before its handler has recorded the
// (partly billed) request.
func (s *Server) Wait(limit time.Duration) bool {
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	go func() {
		s.inflight.Wait()
		s.background.Wait()
		// Then the webhooks of the last answers, in the time left.
		s.hooks.Close(ctx)
		close(done)
	}()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// ServeHTTP serves tailnet callers, identified by WhoIs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.checkHost(w, r) {
		return
	}
	s.route(w, r.WithContext(withSource(r.Context(), sourceTailnet)))
}

// route serves r: a provider API call that no other route could take goes
// straight to serveAPI, the rest through the mux. ServeMux reaches its
// catch-all "/" only after trying the literal routes segment by segment,
// allocating at each (4 heap allocations a request, issue #16); which
// calls may skip it is isPlainAPICall's, and TestPlainAPICallsSkipOnlyTheCatchAll
// checks each against the mux.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if isPlainAPICall(r) {
		s.serveAPI(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// isPlainAPICall reports whether the mux would give r to serveAPI
// unchanged: a POST under /v1/ or /v1beta/ (no other POST route is
// there), with nothing the mux would redirect or decode (an escape, an
// empty or dot segment).
func isPlainAPICall(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == http.MethodPost && r.URL.RawPath == "" &&
		(strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v1beta/")) &&
		!strings.Contains(p, "//") && !strings.Contains(p, "/.") && !strings.ContainsRune(p, '%')
}

// LocalHandler serves the plain --listen listener, whose callers have the
// identity "(loopback)". Only callers on this machine are served, even if
// the listener was bound to another address: "(loopback)" means this
// machine's user, never the LAN.
func (s *Server) LocalHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopbackAddr(r.RemoteAddr) {
			apis.WriteError(w, apis.APIFromPath(r.URL.Path), http.StatusForbidden, apis.KindPermissionDenied,
				"the local listener serves only this machine; other callers must come over the tailnet")
			return
		}
		if !s.checkHost(w, r) {
			return
		}
		s.route(w, r.WithContext(withSource(r.Context(), sourceLoopback)))
	})
}

// resolverFor builds the price resolver of cfg's providers.
func resolverFor(cfg *config.Config) (*pricing.Resolver, error) { return pricing.FromConfig(cfg) }
