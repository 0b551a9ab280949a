package gateway

import (
	"errors"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// refusingSink is a ledger whose Enqueue does not promise the row (its
// bound reached, a timeout).
type refusingSink struct{ *recordingSink }

func (refusingSink) Enqueue(*ledger.Record) error { return errors.New("ledger: not recorded") }

// TestFinishKeepsAnUnrecordedOwnerPending: the owner of a response whose
// row the ledger did not promise stays pending, which nothing evicts;
// marked written, it would be pushed out by recentResponses newer ones,
// and a lookup the ledger cannot answer lets anyone at the response.
func TestFinishKeepsAnUnrecordedOwnerPending(t *testing.T) {
	for _, tt := range []struct {
		name    string
		sink    Ledger
		pending bool
	}{
		{"recorded", &recordingSink{}, false},
		{"not recorded", refusingSink{&recordingSink{}}, true},
	} {
		src := []byte(`{"providers":{"o":{"baseurl":"http://127.0.0.1:1","apikey":"k","models":["gpt-5"],"compatibility":{"openai_responses":true}}},
			"grants":[{"src":["*"],"app":{"tailscale.com/cap/aperture":[{"role":"user"},{"models":"**"}]}}]}`)
		cfg, diags, err := config.Parse(src)
		if err != nil {
			t.Fatal(err, diags)
		}
		gw, err := New(cfg, src, Options{Ledger: tt.sink, Logf: func(string, ...any) {}})
		if err != nil {
			t.Fatal(err)
		}
		gw.responses.created("resp_x", "alice@example.com")
		rec := &ledger.Record{ID: "req-1", Principal: "alice@example.com", CreatedResponse: "resp_x"}
		gw.finish(nil, rec, time.Now())
		gw.responses.mu.Lock()
		_, pending := gw.responses.pending["resp_x"]
		gw.responses.mu.Unlock()
		if pending != tt.pending {
			t.Errorf("%s: owner pending %v after finish, want %v", tt.name, pending, tt.pending)
		}
	}
}
