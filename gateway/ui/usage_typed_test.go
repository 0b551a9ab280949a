package ui

import (
	"context"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// The typed usage queries of the test stores in tooluse_test.go.

func (s plainStore) Usage(ctx context.Context, q ledger.UsageQuery) ([]ledger.UsageRow, error) {
	return s.l.Usage(ctx, q)
}
func (s plainStore) UsageCells(ctx context.Context, from, to time.Time, p string) ([]ledger.UsageCell, error) {
	return s.l.UsageCells(ctx, from, to, p)
}

func (s *manyStore) Usage(context.Context, ledger.UsageQuery) ([]ledger.UsageRow, error) {
	return nil, nil
}

// UsageCells is one cell holding every request of the store.
func (s *manyStore) UsageCells(context.Context, time.Time, time.Time, string) ([]ledger.UsageCell, error) {
	return []ledger.UsageCell{{Day: testNow.Format("2006-01-02"), Principal: alice, Model: "gpt-4o",
		UsageTotals: ledger.UsageTotals{Requests: int64(len(s.rows))}}}, nil
}

// TestUsageNamesAsStored checks the usage pages show a model and a user
// whose names start with a quote as they are stored. When the pages read
// the ledger's CSV export back, undoing its spreadsheet-formula guard
// turned the model '=x into =x and the user '=dave into =dave.
func TestUsageNamesAsStored(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	for i, who := range []string{bob, "'=dave"} {
		rec := &ledger.Record{ID: "quoted-" + string(rune('a'+i)), Time: testNow.Add(-time.Hour), LoginName: who, Principal: who,
			Provider: "openai", Model: "'=x", API: config.OpenAIChat, Status: 200,
			Usage: usage.Usage{InputTokens: 7, OutputTokens: 3, Found: true}, CostNanos: 1000, CostKnown: true}
		if err := f.l.Commit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		viewer, path string
		in           []string
	}{
		{"bob", "/ui/", []string{"<tr><td>&#39;=x</td>"}},
		{"alice", "/ui/dashboard/" + bob, []string{"<tr><td>&#39;=x</td>"}},
		{"alice", "/ui/adoption", []string{"<tr><td>&#39;=x</td>", ">&#39;=dave</a>"}},
	}
	for _, tt := range tests {
		t.Run(tt.viewer+tt.path, func(t *testing.T) {
			status, body := f.get(t, tt.viewer, tt.path)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			want(t, body, tt.in, []string{"<tr><td>=x</td>", ">=dave</a>"})
		})
	}
}
