package gateway

import (
	"context"
	"testing"
)

// TestNoLedgerKeepsNothing checks the Ledger of a gateway started without
// one: it copies no captures, knows no owners, and still serves the
// ledger gauges (at zero).
func TestNoLedgerKeepsNothing(t *testing.T) {
	s := &Server{opts: Options{Ledger: noLedger{}}}
	if s.capturing() {
		t.Error("a gateway without a ledger copies captures")
	}
	if got, _ := s.responseOwner(context.Background(), "resp_abc"); got != "" {
		t.Errorf("owner = %q, want unknown", got)
	}
	if err := s.opts.Ledger.RecordConfig(context.Background(), "h", "a", "{}"); err != nil {
		t.Error(err)
	}
}
