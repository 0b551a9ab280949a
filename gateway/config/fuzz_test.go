package config

import (
	"testing"
)

// FuzzParse checks that Parse never panics and that its result is
// self-consistent: a nil Config exactly when an error is returned.
func FuzzParse(f *testing.F) {
	f.Add([]byte(seedExample))
	f.Add([]byte(DefaultConfigText))
	f.Add([]byte(`{"quotas": {"a:<user>": {"capacity": "$1e9", "rate": "$/day"}}}`))
	f.Add([]byte(`{"temp_grants": [{"src": ["*"], "grants": [{"providers": [{}]}, {"hook": {}}]}]}`))
	f.Add([]byte(`{"providers": {"p": {"pricing": {"m": {"input": 1e-400}}, "model_cost_map": [{"match": "[", "as": 1}]}}}`))
	f.Add([]byte(`{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [1, null, {"models": [1]}]}}]}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags, err := Parse(src)
		if (cfg == nil) != (err != nil) {
			t.Fatalf("cfg=%v err=%v", cfg, err)
		}
		if err != nil && !HasErrors(diags) {
			t.Fatalf("error %v without an error diagnostic", err)
		}
		for _, d := range diags {
			if d.Line < 0 || d.Column < 0 {
				t.Fatalf("bad position in %v", d)
			}
		}
	})
}
