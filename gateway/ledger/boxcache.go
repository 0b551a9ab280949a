package ledger

import (
	"strings"
	"sync"
)

// boxCache keeps the interface values of the strings that recur from row
// to row (the caller's login, node and tags, the provider, model, API,
// path and user agent), so a row's values need not box each of them anew:
// database/sql takes a row as []any, and putting a string in an interface
// allocates. Those boxings were a tenth of a request's heap allocations
// (issue #16). A string is cloned before it is kept, so a cached value
// never pins the request body it may point into. The cache is bounded: at
// maxBoxed entries it starts over, so strings that do not recur (a client
// inventing model names) cost what they cost without it, and nothing
// more.
type boxCache struct {
	mu sync.RWMutex
	m  map[string]any
}

const (
	maxBoxed    = 1024 // entries: at most about 300 KiB of strings and map
	maxBoxedLen = 256  // longer strings are boxed as they come
)

// box returns s as an interface value, the cached one when s recurs.
func (c *boxCache) box(s string) any {
	if s == "" || len(s) > maxBoxedLen {
		return s // "" boxes without allocating
	}
	c.mu.RLock()
	v, ok := c.m[s]
	c.mu.RUnlock()
	if ok {
		return v
	}
	s = strings.Clone(s)
	v = s
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxBoxed {
		c.m = make(map[string]any, 64)
	}
	c.m[s] = v
	c.mu.Unlock()
	return v
}
