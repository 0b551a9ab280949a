package app

import (
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// openLedger opens the request ledger in the state directory.
func openLedger(stateDir string, cfg *config.Config, logf func(string, ...any)) (ledger.Sink, func(), error) {
	return ledger.Discard{}, func() {}, nil
}
