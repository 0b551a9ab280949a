package grants

import (
	"encoding/json"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
)

// benchGrantsConfig is a realistic policy: several grants, only some of
// which match the caller, with model globs and a quota bucket.
const benchGrantsConfig = `{
  "providers": {
    "openai": {"baseurl": "http://127.0.0.1:1", "models": ["gpt-4o", "gpt-4o-mini"]},
    "anthropic": {"baseurl": "http://127.0.0.1:1", "models": ["claude-sonnet-4-5"], "compatibility": {"anthropic_messages": true}},
  },
  "quotas": {"daily:<user>": {"capacity": "$10.00", "rate": "$10.00/day", "on_exceed": "reject"}},
  "grants": [
    {"src": ["tag:ci"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "openai/*"}]}},
    {"src": ["admin@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}},
    {"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "anthropic/**", "quotas": [{"bucket": "daily:<user>"}]}]}},
    {"src": ["alice@example.com", "bob@example.com"], "app": {"tailscale.com/cap/aperture": [{"models": "openai/gpt-4o*"}]}},
  ],
}`

func benchConfig(b *testing.B) *config.Config {
	b.Helper()
	cfg, _, err := config.Parse([]byte(benchGrantsConfig))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// benchUser is a tailnet user whose policy-file grant adds one more
// capability, as WhoIs reports it.
var benchUser = identity.Identity{
	LoginName: "alice@example.com", StableNodeID: "nALICE", NodeName: "alice-laptop.tail.ts.net",
	Caps: map[string][]json.RawMessage{identity.CapAperture: {json.RawMessage(`{"models":"openai/gpt-4o-mini"}`)}},
}

// BenchmarkEvaluate is the per-request grant evaluation of the request
// path (gateway identify).
func BenchmarkEvaluate(b *testing.B) {
	cfg := benchConfig(b)
	for _, tc := range []struct {
		name string
		id   identity.Identity
	}{{"user", benchUser}, {"loopback", identity.LoopbackIdentity()}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if a := Evaluate(cfg, tc.id); a.Role() == 0 {
					b.Fatal("no role")
				}
			}
		})
	}
}

// BenchmarkAllowsModel is the model check done for each route candidate.
func BenchmarkAllowsModel(b *testing.B) {
	a := Evaluate(benchConfig(b), benchUser)
	b.ReportAllocs()
	for b.Loop() {
		if !a.AllowsModel("anthropic/claude-sonnet-4-5") || a.AllowsModel("other/model") {
			b.Fatal("wrong answer")
		}
	}
}

// BenchmarkForModel builds the scope (buckets, headers) of the chosen
// model, once per request.
func BenchmarkForModel(b *testing.B) {
	a := Evaluate(benchConfig(b), benchUser)
	b.ReportAllocs()
	for b.Loop() {
		if s := a.ForModel("anthropic/claude-sonnet-4-5"); len(s.Buckets) != 1 {
			b.Fatalf("buckets %v", s.Buckets)
		}
	}
}
