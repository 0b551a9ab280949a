package pricing

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// TestPriceSpecLeavesUnsetCachePricesUnknown: an unpriced cache read is
// unknown, not free.
func TestPriceSpecLeavesUnsetCachePricesUnknown(t *testing.T) {
	s := priceSpec(config.Price{Input: 3, Output: 15, CacheRead: 1})
	if s.Input == nil || *s.Input != 3 || s.Output == nil || *s.Output != 15 {
		t.Errorf("input/output = %v/%v", s.Input, s.Output)
	}
	if s.CacheRead == nil || *s.CacheRead != 1 {
		t.Errorf("cache read = %v, want 1", s.CacheRead)
	}
	if s.CacheWrite != nil || s.CacheWrite1h != nil {
		t.Errorf("unset cache write prices = %v, %v, want unknown", s.CacheWrite, s.CacheWrite1h)
	}
}
