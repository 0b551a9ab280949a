// Package ledger is the gateway's durable record of every request: who
// called, which model, the tokens and the cost. The gateway hands each
// finished request to a Sink, which queues it and returns at once: the
// SQLite implementation group-commits the queued rows a few milliseconds
// later on its own goroutine, so no request waits on a database write.
package ledger

import (
	"net/http"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// Record is one request through the gateway.
type Record struct {
	ID           string // unique, time-ordered request ID
	Time         time.Time
	LoginName    string
	NodeName     string
	StableNodeID string
	Tags         []string
	Principal    string // login, joined tags or "(loopback)"
	Provider     string
	Model        string
	API          config.API
	Stream       bool
	Status       int
	Duration     time.Duration
	TTFB         time.Duration
	Usage        usage.Usage
	CostNanos    int64
	CostKnown    bool
	SessionID    string
	Interrupted  bool
	Error        string // the gateway's own error, if it made one
	UserAgent    string
	// CreatedResponse is the ID of the stored OpenAI response this request
	// created, if any; its owner (Principal) is recorded with the row, so
	// that only its creator can read it back.
	CreatedResponse string
	Capture         *Capture // nil when nothing is captured
}

// Capture is what a request and its answer looked like, secrets redacted.
type Capture struct {
	RequestHeaders  http.Header
	ResponseHeaders http.Header
	RequestBody     []byte
	ResponseBody    []byte
	Truncated       bool // a body was larger than the capture limit
}

// Sink receives finished requests.
type Sink interface {
	// Enqueue queues r to be recorded and returns without waiting for the
	// write. A full queue makes it wait for room (bounded: an error then
	// says r was not recorded). The caller may reuse r once it returns.
	Enqueue(r *Record) error
	// Healthy is non-nil while the ledger cannot write; the gateway then
	// refuses metered requests rather than serve them unbilled.
	Healthy() error
}

// Discard is a Sink that keeps nothing, for tests and benchmarks.
type Discard struct{}

func (Discard) Enqueue(*Record) error { return nil }
func (Discard) Healthy() error        { return nil }
