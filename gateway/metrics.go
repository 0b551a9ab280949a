package gateway

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// metrics are the gateway's Prometheus series. Each Server has its own
// registry rather than the global one, so tests (and programs) running
// several gateways do not collide. Every method is safe on a nil
// *metrics, which counts nothing.
type metrics struct {
	reg             *prometheus.Registry
	handler         http.Handler
	requests        *prometheus.CounterVec   // provider, model, api, code
	duration        *prometheus.HistogramVec // provider, api
	ttfb            *prometheus.HistogramVec // provider, api
	tokens          *prometheus.CounterVec   // provider, model, type
	cost            *prometheus.CounterVec   // provider, model
	unpriced        *prometheus.CounterVec   // provider, model
	upstreamErrors  *prometheus.CounterVec   // provider, kind
	quotaRejections *prometheus.CounterVec   // provider, model
	configReloads   *prometheus.CounterVec   // source, result
}

// newMetrics registers the gateway's series (plus Go runtime and process
// ones) in a fresh registry.
func newMetrics(opts Options) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{reg: reg}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aperture_requests_total",
		Help: "LLM requests forwarded to a provider, by provider, model, API and HTTP status.",
	}, []string{"provider", "model", "api", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "aperture_request_duration_seconds",
		Help:    "Time from receiving an LLM request to the end of its answer.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
	}, []string{"provider", "api"})
	m.ttfb = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "aperture_time_to_first_byte_seconds",
		Help:    "Time from receiving an LLM request to the first byte of its answer.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"provider", "api"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aperture_tokens_total",
		Help: "Tokens metered, by provider, model and type (input, cached, cache_creation, output, reasoning; reasoning is part of output).",
	}, []string{"provider", "model", "type"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aperture_cost_nanodollars_total",
		Help: "Estimated cost of requests with a known price, in nanodollars (1e-9 USD).",
	}, []string{"provider", "model"})
	m.unpriced = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aperture_unpriced_requests_total",
		Help: "Requests whose cost is unknown (no price for the model, or no usage reported).",
	}, []string{"provider", "model"})
	m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aperture_upstream_errors_total",
		Help: "Provider failures: unreachable, an HTTP error status (4xx, 429, 5xx), or an answer cut off.",
	}, []string{"provider", "kind"})
	m.quotaRejections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aperture_quota_rejections_total",
		Help: "Requests refused with 429 because a spending limit was exhausted.",
	}, []string{"provider", "model"})
	m.configReloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aperture_config_reloads_total",
		Help: "Config reloads from the file (watcher, SIGHUP) or saves through the API, by result.",
	}, []string{"source", "result"})
	reg.MustRegister(m.requests, m.duration, m.ttfb, m.tokens, m.cost, m.unpriced,
		m.upstreamErrors, m.quotaRejections, m.configReloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "aperture_build_info", Help: "Always 1; the version label is the gateway's version.",
		ConstLabels: prometheus.Labels{"version": opts.Version},
	}, func() float64 { return 1 }))
	if st := opts.Ledger; st != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "aperture_ledger_queue_depth",
				Help: "Requests waiting to be written to the ledger.",
			}, func() float64 { return float64(st.Stats().Queued) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "aperture_ledger_logged_rows",
				Help: "Rows in the ledger's row log (durable) not yet committed to its database: the indexer's lag, growing while the database cannot be written.",
			}, func() float64 { return float64(st.Stats().Logged) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "aperture_ledger_rows_total",
				Help: "Requests written to the ledger.",
			}, func() float64 { return float64(st.Stats().Rows) }),
			// Rows over transactions is how well group commit shares a
			// commit's cost among the requests finishing together.
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "aperture_ledger_transactions_total",
				Help: "Ledger write transactions committed (each holds every row logged, or queued, meanwhile).",
			}, func() float64 { return float64(st.Stats().Transactions) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "aperture_ledger_write_failures_total",
				Help: "Ledger write transactions that failed (and were retried).",
			}, func() float64 { return float64(st.Stats().Failures) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "aperture_ledger_checkpoints_total",
				Help: "SQLite WAL checkpoints run (none on PostgreSQL).",
			}, func() float64 { return float64(st.Stats().Checkpoints) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "aperture_ledger_wal_frames",
				Help: "Frames (pages) SQLite's WAL held at the last checkpoint.",
			}, func() float64 { return float64(st.Stats().WALFrames) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "aperture_ledger_wal_frames_uncopied",
				Help: "Of those, frames the checkpoint could not copy into the database file because a reader still needed them.",
			}, func() float64 { return float64(st.Stats().WALFramesUncopied) }),
		)
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// observe counts one finished LLM request from its ledger record.
func (m *metrics) observe(rec *ledger.Record) {
	if m == nil || rec == nil {
		return
	}
	prov, model, api := rec.Provider, rec.Model, string(rec.API)
	m.requests.WithLabelValues(prov, model, api, strconv.Itoa(rec.Status)).Inc()
	m.duration.WithLabelValues(prov, api).Observe(rec.Duration.Seconds())
	if rec.TTFB > 0 {
		m.ttfb.WithLabelValues(prov, api).Observe(rec.TTFB.Seconds())
	}
	u := rec.Usage
	for _, t := range []struct {
		kind string
		n    int64
	}{
		{"input", u.InputTokens}, {"cached", u.CachedTokens}, {"cache_creation", u.CacheCreationTokens},
		{"output", u.OutputTokens}, {"reasoning", u.ReasoningTokens},
	} {
		if t.n > 0 {
			m.tokens.WithLabelValues(prov, model, t.kind).Add(float64(t.n))
		}
	}
	if rec.CostKnown {
		m.cost.WithLabelValues(prov, model).Add(float64(rec.CostNanos))
	} else if rec.Status < 400 {
		m.unpriced.WithLabelValues(prov, model).Inc()
	}
	if kind := upstreamErrorKind(rec); kind != "" {
		m.upstreamErrors.WithLabelValues(prov, kind).Inc()
	}
}

// upstreamErrorKind classifies a record's provider failure, "" for none.
// A client that went away (499) is not the provider's failure.
func upstreamErrorKind(rec *ledger.Record) string {
	switch {
	case rec.Status == 499:
		return ""
	case rec.Status == http.StatusBadGateway && rec.Error != "":
		return "unreachable"
	case rec.Status == http.StatusTooManyRequests:
		return "rate_limited"
	case rec.Status >= 500:
		return "status_5xx"
	case rec.Status >= 400:
		return "status_4xx"
	case rec.Interrupted:
		return "interrupted"
	}
	return ""
}

// quotaRejected counts a request refused by a spending limit.
func (m *metrics) quotaRejected(provider, model string) {
	if m != nil {
		m.quotaRejections.WithLabelValues(provider, model).Inc()
	}
}

// configReload counts a config reload from source ("file" or "api").
func (m *metrics) configReload(source string, ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "error"
	}
	m.configReloads.WithLabelValues(source, result).Inc()
}

// metricsRoutes registers GET /metrics.
func (s *Server) metricsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /metrics", s.api(s.serveMetrics))
}

// serveMetrics answers Prometheus scrapes from callers with read_metrics
// in a grant. No role is needed: a scraper may be a tagged device that
// is granted nothing else.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	c, err := s.identifyClient(r)
	if err != nil {
		return err
	}
	if _, ok := checkBrowser(r, c.access); !ok {
		return clientErr(http.StatusForbidden, apis.KindPermissionDenied, "access denied: cross-site browser request")
	}
	if !c.access.ReadMetrics() {
		return clientErr(http.StatusForbidden, apis.KindPermissionDenied,
			"reading metrics needs a grant with read_metrics: true for "+c.id.Principal())
	}
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}
