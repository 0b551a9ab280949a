package quotas

import (
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// BucketRef names one bucket a request is charged to: Name is the expanded
// bucket ("daily:alice@example.com") and Def the config.Quotas definition
// it comes from ("daily:<user>"), which sets its capacity and rate.
type BucketRef struct {
	Name string
	Def  string
}

// Refs pairs the parallel Buckets and BucketDefs slices of a
// grants.Scope into BucketRefs. A name without a definition gets Def ""
// and so fails closed in Reserve.
func Refs(names, defs []string) []BucketRef {
	refs := make([]BucketRef, len(names))
	for i, n := range names {
		refs[i].Name = n
		if i < len(defs) {
			refs[i].Def = defs[i]
		}
	}
	return refs
}

// Manager holds every bucket's balance and enforces reservations against
// them. It is safe for concurrent use.
type Manager struct {
	now       func() time.Time
	store     BalanceStore
	saveEvery time.Duration

	saveMu sync.Mutex // serializes Flush so snapshots reach the store in order

	mu       sync.Mutex
	defs     map[string]*config.Quota // by definition name, as configured
	matchers []matcher                // defs as name patterns, for loaded balances
	buckets  map[string]*bucket       // by expanded name, created on first use
	pending  map[string]Balance       // loaded balances not yet tied to a definition
	dirty    bool                     // balances changed since the last save

	// shared, when set, keeps every balance in a database that replicas
	// share (NewShared): buckets and pending stay empty.
	shared *sharedStore
}

// New returns a Manager that reads the clock with now (time.Now when nil)
// and keeps balances in store (nil for none). It loads the saved balances
// now; they are matched to definitions by Configure, which must be called
// before the first request: until then every bucket fails closed.
func New(store BalanceStore, now func() time.Time) (*Manager, error) {
	if now == nil {
		now = time.Now
	}
	m := &Manager{
		now:       now,
		store:     store,
		saveEvery: SaveInterval,
		buckets:   map[string]*bucket{},
		pending:   map[string]Balance{},
	}
	if store != nil {
		saved, err := store.LoadBalances()
		if err != nil {
			return nil, fmt.Errorf("loading quota balances: %w", err)
		}
		maps.Copy(m.pending, saved)
	}
	return m, nil
}

// Configure installs the quota definitions of a newly loaded config.
// Existing buckets whose definition changed keep their balance, cut down
// to the new capacity (the excess is lost); buckets whose definition was
// deleted are deleted; buckets not seen yet start full when first used.
// A bucket whose definition became invalid keeps its balance but admits
// nothing until the definition is fixed. Saved balances loaded by New are
// attached to the definition whose name pattern matches them, and dropped
// when none does.
func (m *Manager) Configure(quotas map[string]*config.Quota) {
	defs := make(map[string]*config.Quota, len(quotas))
	for name, q := range quotas {
		if q != nil {
			defs[name] = q
		}
	}
	matchers := compileMatchers(defs)
	now := m.now()

	var changed []string // shared mode: definitions whose terms changed
	if m.shared != nil {
		defer func() { m.shared.applyTerms(changed) }() // after the unlock
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shared != nil {
		changed = m.shared.noteChanges(m.defs, defs, now)
	}
	m.defs, m.matchers = defs, matchers
	for name, b := range m.buckets {
		q := defs[b.def]
		switch {
		case q == nil:
			delete(m.buckets, name)
			m.dirty = true
		case q.Err == nil:
			if b.redefine(q, now) {
				m.dirty = true
			}
		}
	}
	for name, saved := range m.pending {
		def, q := resolve(matchers, defs, name)
		switch {
		case q == nil:
			delete(m.pending, name)
			m.dirty = true
		case q.Err == nil:
			delete(m.pending, name)
			m.buckets[name] = adopt(name, def, q, saved, now)
		}
	}
}

// bucketLocked returns the bucket for ref, creating it (full, or from its
// saved balance) on first use, and moving it to ref's definition q when it
// was last used under another one. m.mu must be held and q valid.
func (m *Manager) bucketLocked(ref BucketRef, q *config.Quota, now time.Time) *bucket {
	b := m.buckets[ref.Name]
	if b == nil {
		if saved, ok := m.pending[ref.Name]; ok {
			delete(m.pending, ref.Name)
			b = adopt(ref.Name, ref.Def, q, saved, now)
		} else {
			b = &bucket{name: ref.Name, def: ref.Def, q: q, nanos: q.Capacity, updated: now, anchor: now}
		}
		m.buckets[ref.Name] = b
		m.dirty = true
		return b
	}
	if b.def != ref.Def {
		b.def = ref.Def
		b.redefine(q, now)
		m.dirty = true
	}
	return b
}
