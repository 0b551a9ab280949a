package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// ledgerFile is the ledger database's name in the state directory.
const ledgerFile = "aperture.db"

// metering is the ledger and the quota manager, which keeps its balances
// in the ledger's database.
type metering struct {
	ledger *ledger.Ledger
	quotas *quotas.Manager
	stop   context.CancelFunc
	done   chan struct{}
}

// openMetering opens <state-dir>/aperture.db and loads quota balances.
func openMetering(stateDir string, cfg *config.Config, logf func(string, ...any)) (*metering, error) {
	path := filepath.Join(stateDir, ledgerFile)
	l, err := ledger.Open(path, ledger.Options{Retention: &cfg.Database.Retention, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("opening the ledger %s: %w", path, err)
	}
	q, err := quotas.New(balanceStore{l}, nil)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("loading quota balances: %w", err)
	}
	q.Configure(cfg.Quotas)
	ctx, cancel := context.WithCancel(context.Background())
	m := &metering{ledger: l, quotas: q, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		if err := q.Run(ctx); err != nil {
			logf("saving quota balances: %v", err)
		}
	}()
	return m, nil
}

// Close saves the balances and closes the ledger after flushing its queue.
func (m *metering) Close() {
	m.stop()
	<-m.done
	m.ledger.Close()
}

// balanceStore adapts the ledger's balance table to the quota manager.
type balanceStore struct{ l *ledger.Ledger }

func (b balanceStore) LoadBalances() (map[string]quotas.Balance, error) {
	in, err := b.l.LoadBalances()
	if err != nil {
		return nil, err
	}
	out := make(map[string]quotas.Balance, len(in))
	for k, v := range in {
		out[k] = quotas.Balance(v)
	}
	return out, nil
}

// SaveBalances replaces the stored set: the manager passes every bucket,
// and one it left out belonged to a deleted quota definition, whose
// balance must not come back if the name is defined again.
func (b balanceStore) SaveBalances(m map[string]quotas.Balance) error {
	in := make(map[string]ledger.Balance, len(m))
	for k, v := range m {
		in[k] = ledger.Balance(v)
	}
	if err := b.l.SaveBalances(in); err != nil {
		return err
	}
	stored, err := b.l.LoadBalances()
	if err != nil {
		return err
	}
	var gone []string
	for k := range stored {
		if _, ok := m[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return b.l.DeleteBalances(gone...)
}
