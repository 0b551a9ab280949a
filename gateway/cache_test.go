package gateway

import "testing"

// TestBoundedCacheEvictsLeastRecentlyUsed: past its bound the cache drops
// the entry used longest ago, not everything.
func TestBoundedCacheEvictsLeastRecentlyUsed(t *testing.T) {
	var c boundedCache[string, int]
	c.set("a", 1, 2)
	c.set("b", 2, 2)
	c.get("a") // b is now the least recently used
	c.set("c", 3, 2)
	if _, ok := c.get("b"); ok {
		t.Error("b survived past the bound")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.get(k); !ok || v != want {
			t.Errorf("%s = %d, %v; want %d", k, v, ok, want)
		}
	}
	if n := c.len(); n != 2 {
		t.Errorf("len = %d, want 2", n)
	}
}
