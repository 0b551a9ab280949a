package app

import (
	"context"
	"net/http"
	"time"

	"github.com/tsplug/ts-plug/gateway/export"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// exportStopGrace bounds the exporter's final attempt at shutdown; what
// it cannot send in that time goes with the next start.
const exportStopGrace = 30 * time.Second

// startExport starts the S3 exporter on the ledger. It does nothing until
// a config with exporters.s3 reaches it (OnConfig passes each one), and
// keeps its temporary objects in the state directory, which is the
// gateway's own (captures are in the objects).
func startExport(l *ledger.Ledger, stateDir string, transport http.RoundTripper, logf func(string, ...any)) *export.Exporter {
	x := export.New(export.Options{Ledger: l, Transport: transport, TempDir: stateDir, Logf: logf})
	x.Start()
	return x
}

// stopExport stops the exporter after a final attempt: the listeners
// have drained by then, so every finished request can go.
func stopExport(x *export.Exporter, logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), exportStopGrace)
	defer cancel()
	if err := x.Stop(ctx); err != nil {
		logf("%v (the rest is exported at the next start)", err)
	}
}
