package ui

import "testing"

func TestModelsPage(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	tests := []struct {
		name, viewer string
		in, out      []string
	}{
		{"admin", "alice", []string{"Anthropic", "OpenAI", "<code>claude-sonnet-4-5</code>", "$3.00", "$15.00", "$0.30",
			"/v1/messages", "/v1/responses", "anthropic/claude-sonnet-4-5", "anthropic_messages"}, nil},
		{"user", "bob", []string{"<code>gpt-4o-mini</code>", "unknown"}, []string{"claude-sonnet-4-5", "Anthropic"}},
		{"no models", "carol", []string{"No models are granted to you (carol@example.com)", `<code>"**"</code>`}, []string{"<table"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.get(t, tt.viewer, "/ui/models")
			if status != 200 {
				t.Errorf("status %d", status)
			}
			want(t, body, tt.in, tt.out)
		})
	}
}

func TestModelsPageQuotaStatus(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	m := gptMini
	m.Quotas = append(m.Quotas, bobQuota)
	v := f.src.viewers["bob"]
	v.Models = []Model{m}
	f.src.viewers["bob"] = v
	_, body := f.get(t, "bob", "/ui/models")
	want(t, body, []string{"daily:bob@example.com: $4.00 of $10.00", `title="refills $5.00/day"`}, nil)
}
