package quotas

import "testing"

// TestNamedFor checks which buckets are named for a principal: a
// definition's <user> expanded to it, wherever the template puts <user>,
// and with any <node>.
func TestNamedFor(t *testing.T) {
	const alice = "alice@example.com"
	tests := []struct {
		name, def, principal string
		want                 bool
	}{
		{"daily:alice@example.com", "daily:<user>", alice, true},
		{"daily:bob@example.com", "daily:<user>", alice, false},
		{"daily:malice@example.com", "daily:<user>", alice, false},
		{"alice@example.com-daily", "<user>-daily", alice, true},
		{"pair:alice@example.com:nABC", "pair:<user>:<node>", alice, true},
		{"pair:bob@example.com:nABC", "pair:<user>:<node>", alice, false},
		{"node:alice@example.com", "node:<node>", alice, false}, // a node bucket, whatever its node
		{"team:alice@example.com", "team:alice@example.com", alice, false},
		{"alice@example.com", "alice@example.com", alice, true},
		{"daily:tag:ci,tag:prod", "daily:<user>", "tag:ci,tag:prod", true},
		{"daily:aXice@example.com", "daily:<user>", "a.ice@example.com", false}, // the principal is literal
		{"daily:", "daily:<user>", "", false},
	}
	for _, tt := range tests {
		if got := namedFor(tt.name, tt.def, tt.principal); got != tt.want {
			t.Errorf("namedFor(%q, %q, %q) = %v, want %v", tt.name, tt.def, tt.principal, got, tt.want)
		}
	}
}
