package gateway

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// A model without a price is never free against a spending limit: while
// a bucket applies it is refused, saying how to price it; a provider's
// "*" price is the fallback that admits it, and charges it.
func TestUnpricedModelAgainstABucket(t *testing.T) {
	fake := fakellm.New()
	up := httptest.NewServer(fake.Handler())
	t.Cleanup(up.Close)
	src := fmt.Sprintf(`{
  "providers": {
    "local": {"baseurl": "%[1]s/v1", "models": ["my-finetune"], "auth_mode": "none"},
    "lab": {"baseurl": "%[1]s/v1", "models": ["lab-model"], "auth_mode": "none", "pricing": {"*": {"input": 1, "output": 2}}},
  },
  "quotas": {"team": {"capacity": "$10", "reset": "month"}},
  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**", "quotas": [{"bucket": "team"}]}]}}],
}`, up.URL)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	qm, _ := quotas.New(nil, nil)
	sink := &recordingSink{}
	gw, err := New(cfg, []byte(src), Options{Ledger: sink, Quotas: qm, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(front.Close)

	res, body := post(t, front.URL+"/v1/chat/completions", `{"model":"my-finetune","messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != 403 || !strings.Contains(body, "has no price") || !strings.Contains(body, "providers.local.pricing") || fake.RequestCount() != 0 {
		t.Errorf("unpriced: %d %s (provider called %d times)", res.StatusCode, body, fake.RequestCount())
	}
	res, body = post(t, front.URL+"/v1/chat/completions", `{"model":"lab-model","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != 200 {
		t.Fatalf("fallback-priced: %d %s", res.StatusCode, body)
	}
	if rec := sink.last(); !rec.CostKnown || rec.CostNanos <= 0 {
		t.Errorf("fallback-priced row: cost %d known %v, want charged", rec.CostNanos, rec.CostKnown)
	}
	if b := qm.Balances(nil); len(b) != 1 || b[0].BalanceNanos >= 10e9 {
		t.Errorf("bucket %+v, want charged", b)
	}
}
