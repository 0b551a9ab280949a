package quotas

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/pricing"
)

// TestOutputBound checks which output a reservation covers: the
// request's own limit, else the model's maximum, both binding, else
// reserve_output_tokens, which does not bind the provider.
func TestOutputBound(t *testing.T) {
	tests := []struct {
		name            string
		limit, modelMax int64
		modelKnown      bool
		wantOut         int64
		wantBounded     bool
	}{
		{"the request's limit", 500, 64000, true, 500, true},
		{"a zero limit is a limit", 0, 64000, true, 0, true},
		{"no limit: the model's maximum", -1, 64000, true, 64000, true},
		{"no limit, unknown model: reserve_output_tokens", -1, 0, false, 4096, false},
		{"the request's limit beats an unknown model", 100, 0, false, 100, true},
	}
	for _, tt := range tests {
		out, bounded := OutputBound(tt.limit, tt.modelMax, tt.modelKnown, 4096)
		if out != tt.wantOut || bounded != tt.wantBounded {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, out, bounded, tt.wantOut, tt.wantBounded)
		}
	}
}

// TestCostRange checks a reservation asks for the whole bound and is
// admitted with MinHeldOutputTokens of it.
func TestCostRange(t *testing.T) {
	c := Cost{Input: 1000, Choices: 1, Price: sonnet}
	for _, tt := range []struct{ out, wantLeastOut int64 }{
		{64000, MinHeldOutputTokens},
		{500, 500},
	} {
		want, least, known := c.Range(tt.out)
		w, _ := c.At(tt.out)
		l, _ := c.At(tt.wantLeastOut)
		if want != w || least != l || !known {
			t.Errorf("Range(%d) = %d, %d, %v; want %d, %d, true", tt.out, want, least, known, w, l)
		}
	}
	if _, _, known := (Cost{Price: pricing.Price{}}).Range(10); known {
		t.Error("an unpriced cost is known")
	}
}
