// Package ledger is the gateway's durable record of every request: who
// called, which model, the tokens and the cost. The gateway hands each
// finished request to a Sink before the last bytes of its answer go out,
// and the Sink returns once the row is durable: a request whose answer
// a client has received in full is on the ledger, even if the gateway is
// killed right after. One writer goroutine takes every row waiting at that
// moment and, on SQLite, appends them to a row log with one write, which
// an indexer commits to the database in batches (rowlog.go); on
// PostgreSQL it commits them in one transaction (group commit). Either
// way many requests finishing together wait for one write.
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
	// Path is the request's URL path as the caller sent it (for exports).
	Path string
	// LocalUser is the local OS user behind a shared device's request
	// (config shared_device_tags): who, of the people sharing the device,
	// sent it. It is recorded only; Principal is still who is billed and
	// what is allowed.
	LocalUser string
	// Unpriced lists, comma-separated, the cost components the gateway
	// could not price (e.g. "web_search", "audio_input"): CostNanos
	// leaves them out. Empty when everything charged was priced. (Whether
	// the counts are estimates is Usage.Estimated.)
	Unpriced string
	// CreatedResponse is the ID of the stored OpenAI response this request
	// created, if any; its owner (Principal) is recorded with the row, so
	// that only its creator can read it back.
	CreatedResponse string
	// ResponseContext is the input a request continuing CreatedResponse
	// carries (its input plus its output), kept with the owner; 0 when
	// unknown.
	ResponseContext int64
	Capture         *Capture // nil when nothing is captured
}

// Capture is what a request and its answer looked like, secrets redacted.
type Capture struct {
	RequestHeaders  http.Header
	ResponseHeaders http.Header
	RequestBody     []byte
	ResponseBody    []byte
	Truncated       bool // a body was larger than the capture limit
	// live are the maps NewCapture and SetResponseHeaders were given,
	// secrets and all, for encodeCapture to store redacted; the
	// exported headers stay nil on that side (see capture.go).
	live *liveHeaders
}

// Sink receives finished requests.
type Sink interface {
	// Enqueue records r and returns once r's row is durable (in the row
	// log, or committed), so that a crash of the gateway right after
	// (SIGKILL, OOM) cannot lose it: the gateway calls it before the last
	// bytes of the answer go out. Concurrent callers share one write. The wait is
	// bounded: when the database fails, or stalls past the bound, it
	// returns an error, which says r may not be recorded. The caller may
	// reuse r once it returns. A capture queued separately
	// (CaptureAsync) is not waited for: a crash can lose the captures of
	// the last moments, never a row Enqueue confirmed.
	Enqueue(r *Record) error
	// Healthy is non-nil while the ledger cannot write; the gateway then
	// refuses metered requests rather than serve them unbilled.
	Healthy() error
}

// Discard is a Sink that keeps nothing, for tests and benchmarks.
type Discard struct{}

func (Discard) Enqueue(*Record) error { return nil }
func (Discard) Healthy() error        { return nil }
