package gateway

import (
	"sync"

	"tailscale.com/util/lru"
)

// boundedCache is the gateway's one in-memory cache: a mutex-guarded LRU
// that never holds more than the bound each set names, so no caller (one
// peer address after another, one response after another) grows it. Its
// zero value is ready to use. The WhoIs answers, grant evaluations,
// and the stored responses use it.
type boundedCache[K comparable, V any] struct {
	mu  sync.Mutex
	lru lru.Cache[K, V]
}

// get returns the value of k and whether it is cached, and marks it used.
func (c *boundedCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.GetOk(k)
}

// set caches v under k, evicting the least recently used entries beyond
// max.
func (c *boundedCache[K, V]) set(k K, v V, max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.MaxEntries = max
	c.lru.Set(k, v)
}

// len is how many entries are cached.
func (c *boundedCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
