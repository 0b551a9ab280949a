package gateway

import (
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// Validation warns before a save that renaming a quota definition drops
// the balances under the old name.
func TestValidationWarnsOfQuotaResets(t *testing.T) {
	parse := func(src string) *config.Config {
		cfg, diags, err := config.Parse([]byte(src))
		if err != nil {
			t.Fatal(err, diags)
		}
		return cfg
	}
	const running = `{"quotas": {"team": {"capacity": "$10", "reset": "month"}}}`
	qm, _ := quotas.New(nil, nil)
	s, err := New(parse(running), []byte(running), Options{Quotas: qm, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	r, err := qm.Reserve([]quotas.BucketRef{{Name: "team", Def: "team"}}, 1e9)
	if err != nil {
		t.Fatal(err)
	}
	r.Settle(1e9)
	if got := s.quotaEffects(parse(running)); len(got) != 0 {
		t.Errorf("unchanged: %v", got)
	}
	got := s.quotaEffects(parse(`{"quotas": {"eng": {"capacity": "$10", "reset": "month"}}}`))
	if len(got) != 1 || got[0].Severity != config.Warning || !strings.Contains(got[0].Message, "quotas.team is removed (or renamed)") {
		t.Errorf("renamed: %v", got)
	}
}
