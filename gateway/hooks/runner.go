package hooks

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
)

// Defaults of Options.
const (
	DefaultQueueLength = 1024
	DefaultQueueBytes  = 64 << 20
	DefaultWorkers     = 4
)

// Options configure a Runner.
type Options struct {
	// Transport carries hook calls; the gateway passes the one that
	// dials tailnet names through its own node. Nil: a default one.
	Transport http.RoundTripper
	UserAgent string
	Logf      func(format string, args ...any)
	// QueueLength and QueueBytes bound the webhook notifications waiting
	// to be sent (0: the defaults), so a slow or dead webhook can never
	// grow the gateway; Workers send them.
	QueueLength int
	QueueBytes  int64
	Workers     int
}

// Runner runs guardrails and delivers webhook notifications.
type Runner struct {
	c     client
	logf  func(string, ...any)
	stats *stats

	queue      chan *Notification
	queueBytes int64
	queued     atomic.Int64 // bytes held by queued notifications
	mu         sync.RWMutex // closed and sends on queue
	closed     bool
	workers    sync.WaitGroup
	// stop ends the deliveries in progress when Close runs out of time.
	stopCtx context.Context
	stop    context.CancelFunc
}

// New starts a Runner's webhook workers; Close stops them.
func New(o Options) *Runner {
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.QueueLength <= 0 {
		o.QueueLength = DefaultQueueLength
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.UserAgent == "" {
		o.UserAgent = "aperture-hooks"
	}
	r := &Runner{
		c:          client{rt: o.Transport, userAgent: o.UserAgent},
		logf:       o.Logf,
		stats:      newStats(),
		queue:      make(chan *Notification, o.QueueLength),
		queueBytes: o.QueueBytes,
	}
	r.stopCtx, r.stop = context.WithCancel(context.Background())
	for range o.Workers {
		r.workers.Add(1)
		go r.deliver()
	}
	return r
}

// Close stops accepting notifications and delivers those queued until ctx
// ends; then it abandons the rest.
func (r *Runner) Close(ctx context.Context) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	close(r.queue)
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.stop()
		<-done
	}
	r.stop()
}
