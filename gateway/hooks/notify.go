package hooks

import (
	"errors"
	"fmt"
	"time"
)

// ErrSkip, from a Notification's Build, says the hook has nothing to be
// told (a tool_call_entire_request answer without tool calls): it is not
// called and nothing is counted.
var ErrSkip = errors.New("nothing to send")

// Notification is one answer's webhooks, queued until a worker sends
// them. Build makes the payload for one hook's send fields; it runs in the
// worker, so reading the answer for its fields never delays the request.
type Notification struct {
	Event Event
	Hooks []Bound
	// Size is the memory the notification holds (its bodies), charged
	// against the queue's byte bound while it waits.
	Size  int64
	Build func(send []string) ([]byte, error)
}

// Notify queues n and returns at once. When the queue is full (or the
// runner closed) n is dropped, logged and counted: a webhook that cannot
// keep up must not slow requests nor grow the gateway.
func (r *Runner) Notify(n *Notification) bool {
	if len(n.Hooks) == 0 {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped(n, "the gateway is stopping")
		return false
	}
	if r.queued.Add(n.Size) > r.queueBytes && n.Size > 0 {
		r.queued.Add(-n.Size)
		r.dropped(n, fmt.Sprintf("webhook queue holds more than %d MiB", r.queueBytes>>20))
		return false
	}
	select {
	case r.queue <- n:
		r.stats.queueLen.Set(float64(len(r.queue)))
		return true
	default:
		r.queued.Add(-n.Size)
		r.dropped(n, fmt.Sprintf("webhook queue is full (%d waiting)", cap(r.queue)))
		return false
	}
}

func (r *Runner) dropped(n *Notification, why string) {
	for _, b := range n.Hooks {
		r.stats.record(b.Hook.Name, n.Event, OutcomeDropped, 0, nil)
	}
	r.logf("hooks: %s notification not sent: %s", n.Event, why)
}

// deliver sends queued notifications until the queue closes.
func (r *Runner) deliver() {
	defer r.workers.Done()
	for n := range r.queue {
		r.stats.queueLen.Set(float64(len(r.queue)))
		r.send(n)
		r.queued.Add(-n.Size)
	}
}

// send posts n to each of its hooks. Payloads are built once per
// distinct set of send fields.
func (r *Runner) send(n *Notification) {
	built := map[string][]byte{}
	for _, b := range n.Hooks {
		h := b.Hook
		key := fmt.Sprint(b.Send)
		p, ok := built[key]
		start := time.Now()
		if !ok {
			var err error
			if p, err = n.Build(b.Send); errors.Is(err, ErrSkip) {
				continue
			} else if err != nil {
				r.stats.record(h.Name, n.Event, OutcomeError, 0, err)
				r.logf("hook %s (%s): building payload: %v", h.Name, n.Event, err)
				continue
			}
			built[key] = p
		}
		a, err := r.c.post(r.stopCtx, h, p)
		if err == nil && (a.status < 200 || a.status > 299) {
			err = fmt.Errorf("answered HTTP %d", a.status)
		}
		took := time.Since(start)
		if err != nil {
			r.stats.record(h.Name, n.Event, OutcomeError, took, err)
			r.logf("hook %s (%s): %v", h.Name, n.Event, err)
			continue
		}
		r.stats.record(h.Name, n.Event, OutcomeDelivered, took, nil)
	}
}
