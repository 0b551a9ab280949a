package gateway

import (
	"context"
	"io"
	"time"

	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/ui"
)

// Ledger is everything the gateway writes to its ledger, and the one
// thing it reads back on the request path (who owns a stored response).
// Every method is required, so a fake that lacks one does not compile
// rather than silently turning a feature off; a fake that wants a feature
// off says so (KeepsCaptures false, StoredResponse unknown).
type Ledger interface {
	ledger.Sink
	// KeepsCaptures reports whether captures are stored at all; when not,
	// the gateway does not copy request and answer bodies.
	KeepsCaptures() bool
	// CaptureAsync queues the capture of the request whose row Enqueue
	// committed; the gateway does not wait for it.
	CaptureAsync(id string, c *ledger.Capture) error
	// StoredResponse is who created stored response id and what
	// continuing it carries; the zero value if unknown.
	StoredResponse(ctx context.Context, id string) (ledger.StoredResponse, error)
	// RecordConfig keeps a config saved through the API in the history.
	RecordConfig(ctx context.Context, hash, author, text string) error
	// Stats are the writer's counters, for /metrics.
	Stats() ledger.Stats
}

// Store answers the ledger queries of the JSON API and the dashboard.
type Store interface {
	Requests(ctx context.Context, q ledger.Query) ([]ledger.Row, error)
	Usage(ctx context.Context, q ledger.UsageQuery) ([]ledger.UsageRow, error)
	UsageCells(ctx context.Context, from, to time.Time, principal string) ([]ledger.UsageCell, error)
	UsageCSV(ctx context.Context, w io.Writer, from, to time.Time, principal string) error
	Sessions(ctx context.Context, q ledger.SessionQuery) ([]ledger.SessionRow, error)
	Capture(ctx context.Context, id string) (*ledger.Capture, error)
	CapturedAnswers(ctx context.Context, q ledger.CapturedAnswerQuery, fn func(ledger.CapturedAnswer) error) error
}

var (
	_ Ledger   = (*ledger.Ledger)(nil)
	_ Ledger   = noLedger{}
	_ Store    = (*ledger.Ledger)(nil)
	_ ui.Store = Store(nil)
)

// noLedger is the Ledger of a gateway that keeps nothing: ledger.Discard,
// plus no-ops for what a Sink need not have.
type noLedger struct{ ledger.Discard }

func (noLedger) KeepsCaptures() bool                        { return false }
func (noLedger) CaptureAsync(string, *ledger.Capture) error { return nil }
func (noLedger) StoredResponse(context.Context, string) (ledger.StoredResponse, error) {
	return ledger.StoredResponse{}, nil
}
func (noLedger) RecordConfig(context.Context, string, string, string) error {
	return nil
}
func (noLedger) Stats() ledger.Stats { return ledger.Stats{} }
