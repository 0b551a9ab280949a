package quotas

import (
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// fakeClock is an injected clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// usd parses a dollar amount or fails the test.
func usd(t testing.TB, s string) int64 {
	t.Helper()
	n, err := config.ParseDollars(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// quota builds a valid definition the way the config parser does.
func quota(t testing.TB, name, capacity, rate string) *config.Quota {
	t.Helper()
	nanos, period, err := config.ParseRate(rate)
	if err != nil {
		t.Fatal(err)
	}
	return &config.Quota{Name: name, Capacity: usd(t, capacity), Rate: rate, RateNanos: nanos, RatePeriod: period, OnExceed: "reject"}
}

// defs builds a quotas map from definitions.
func defs(qs ...*config.Quota) map[string]*config.Quota {
	m := map[string]*config.Quota{}
	for _, q := range qs {
		m[q.Name] = q
	}
	return m
}

// newManager returns a configured Manager on clock c without a store;
// under TestSharedMode, a shared one on a database of its own.
func newManager(t testing.TB, c *fakeClock, qs ...*config.Quota) *Manager {
	t.Helper()
	if strings.HasPrefix(t.Name(), sharedModeTest+"/") {
		return newSharedManagers(t, c, 1, qs...)[0]
	}
	m, err := New(nil, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	m.Configure(defs(qs...))
	return m
}

// balance returns one bucket's current balance, failing if it is absent.
func balance(t testing.TB, m *Manager, name string) int64 {
	t.Helper()
	vs := m.Balances(func(b string) bool { return b == name })
	if len(vs) != 1 {
		t.Fatalf("bucket %q: got %d views", name, len(vs))
	}
	return vs[0].BalanceNanos
}

// spend reserves amount in ref and settles it at the same cost.
func spend(t testing.TB, m *Manager, ref BucketRef, amount int64) {
	t.Helper()
	r, err := m.Reserve([]BucketRef{ref}, amount)
	if err != nil {
		t.Fatalf("spending %d in %s: %v", amount, ref.Name, err)
	}
	r.Settle(amount)
}

// memStore is an in-memory BalanceStore that replaces its contents on
// save, as the contract asks.
type memStore struct {
	mu      sync.Mutex
	saved   map[string]Balance
	saves   int
	loadErr error
	saveErr error
}

func (s *memStore) LoadBalances() (map[string]Balance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	return maps.Clone(s.saved), nil
}

func (s *memStore) SaveBalances(b map[string]Balance) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saveErr != nil {
		return s.saveErr
	}
	s.saves++
	s.saved = maps.Clone(b)
	return nil
}

func (s *memStore) snapshot() (map[string]Balance, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.saved), s.saves
}

var errDisk = errors.New("disk full")
