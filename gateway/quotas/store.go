package quotas

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Balance is one bucket's saved state: its balance in nanodollars as of
// Updated. Refill from Updated to the present is added when the bucket is
// next used, so balances keep refilling while the gateway is down.
type Balance struct {
	Nanos   int64
	Updated time.Time
}

// BalanceStore persists bucket balances across restarts; the gateway's
// SQLite ledger implements it (through a small adapter, which keeps this
// package free of a dependency on the ledger).
//
// LoadBalances returns every saved bucket keyed by its expanded name
// ("daily:alice@example.com"). SaveBalances receives the complete current
// set and should replace what is stored: a bucket missing from the map
// was deleted (its definition was removed from the config). A store that
// only upserts is tolerated: deleted buckets then come back at the next
// start and are discarded by Configure when no definition matches them.
type BalanceStore interface {
	LoadBalances() (map[string]Balance, error)
	SaveBalances(map[string]Balance) error
}

// SaveInterval is how often Run saves changed balances.
const SaveInterval = 5 * time.Second

// Run saves changed balances every SaveInterval until ctx ends, then
// saves one last time and returns that save's error. Failed periodic
// saves are logged and retried at the next tick. The gateway should let
// in-flight requests settle before ending ctx: a reservation still open
// at the final save is saved as spent.
func (m *Manager) Run(ctx context.Context) error {
	if m.shared != nil {
		return m.shared.run(ctx)
	}
	t := time.NewTicker(m.saveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return m.Flush()
		case <-t.C:
			if err := m.Flush(); err != nil {
				slog.Warn("quota balances not saved; will retry", "err", err)
			}
		}
	}
}

// Flush saves the balances now if any changed since the last successful
// save. Saves are serialized, and the store is called without holding the
// lock that requests take, so a slow disk never delays a request.
func (m *Manager) Flush() error {
	if m.shared != nil {
		return m.shared.retrySettles()
	}
	if m.store == nil {
		return nil
	}
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	snap, ok := m.snapshot()
	if !ok {
		return nil
	}
	if err := m.store.SaveBalances(snap); err != nil {
		m.mu.Lock()
		m.dirty = true
		m.mu.Unlock()
		return fmt.Errorf("saving %d quota balances: %w", len(snap), err)
	}
	return nil
}

// snapshot copies every balance, including loaded ones not yet tied to a
// definition, and clears the dirty flag. ok is false when nothing changed.
func (m *Manager) snapshot() (map[string]Balance, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirty {
		return nil, false
	}
	snap := make(map[string]Balance, len(m.buckets)+len(m.pending))
	for name, b := range m.pending {
		snap[name] = b
	}
	for name, b := range m.buckets {
		snap[name] = Balance{Nanos: b.nanos, Updated: b.updated}
	}
	m.dirty = false
	return snap, true
}
