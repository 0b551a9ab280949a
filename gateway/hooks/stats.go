package hooks

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a hook call, as /metrics and the Settings page count them.
const (
	OutcomeAllow        = "allow"
	OutcomeModify       = "modify"
	OutcomeBlock        = "block"
	OutcomeFailedOpen   = "failed_open"   // a guardrail failed; allowed
	OutcomeFailedClosed = "failed_closed" // a guardrail failed; refused
	OutcomeCanceled     = "canceled"      // the caller left first
	OutcomeDelivered    = "delivered"     // a webhook took it
	OutcomeError        = "error"         // a webhook failed
	OutcomeDropped      = "dropped"       // the queue was full
)

// recentCalls is how many calls of each hook the Settings page shows.
const recentCalls = 20

// Call is one call of a hook, for the Settings page.
type Call struct {
	Time     time.Time     `json:"time"`
	Event    Event         `json:"event"`
	Outcome  string        `json:"outcome"`
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"`
}

// Failed reports whether the call is a failure of the hook.
func (c Call) Failed() bool {
	switch c.Outcome {
	case OutcomeFailedOpen, OutcomeFailedClosed, OutcomeError, OutcomeDropped:
		return true
	}
	return false
}

// HookStats is what the Settings page shows of one hook.
type HookStats struct {
	Name     string         `json:"name"`
	Calls    int64          `json:"calls"`
	Failures int64          `json:"failures"`
	Outcomes map[string]int `json:"outcomes"`
	Recent   []Call         `json:"recent"` // newest first
}

type hookRecord struct {
	calls, failures int64
	outcomes        map[string]int
	recent          []Call // ring, oldest first
}

type stats struct {
	mu    sync.Mutex
	hooks map[string]*hookRecord

	calls    *prometheus.CounterVec   // hook, event, outcome
	seconds  *prometheus.HistogramVec // hook, event
	queueLen prometheus.Gauge
}

func newStats() *stats {
	return &stats{
		hooks: map[string]*hookRecord{},
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aperture_hook_calls_total",
			Help: "Hook calls by hook, event and outcome (allow, modify, block, failed_open, failed_closed, canceled, delivered, error, dropped).",
		}, []string{"hook", "event", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "aperture_hook_call_seconds",
			Help:    "Time hooks took to answer.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"hook", "event"}),
		queueLen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aperture_hook_queue_length",
			Help: "Webhook notifications waiting to be sent.",
		}),
	}
}

func (s *stats) record(hook string, ev Event, outcome string, took time.Duration, err error) {
	s.calls.WithLabelValues(hook, string(ev), outcome).Inc()
	if outcome != OutcomeDropped {
		s.seconds.WithLabelValues(hook, string(ev)).Observe(took.Seconds())
	}
	c := Call{Time: time.Now(), Event: ev, Outcome: outcome, Duration: took}
	if err != nil {
		c.Error = err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.hooks[hook]
	if r == nil {
		r = &hookRecord{outcomes: map[string]int{}}
		s.hooks[hook] = r
	}
	r.calls++
	if c.Failed() {
		r.failures++
	}
	r.outcomes[outcome]++
	if len(r.recent) == recentCalls {
		r.recent = append(r.recent[:0], r.recent[1:]...)
	}
	r.recent = append(r.recent, c)
}

// Register adds the runner's metrics to reg.
func (r *Runner) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{r.stats.calls, r.stats.seconds, r.stats.queueLen} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Stats returns what each hook called since the gateway started did,
// sorted by name.
func (r *Runner) Stats() []HookStats {
	s := r.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]HookStats, 0, len(s.hooks))
	for name, h := range s.hooks {
		recent := slices.Clone(h.recent)
		slices.Reverse(recent)
		outcomes := make(map[string]int, len(h.outcomes))
		for k, v := range h.outcomes {
			outcomes[k] = v
		}
		out = append(out, HookStats{Name: name, Calls: h.calls, Failures: h.failures, Outcomes: outcomes, Recent: recent})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
