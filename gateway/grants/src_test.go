package grants

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/identity"
)

func TestMatchSrc(t *testing.T) {
	alice := identity.Identity{LoginName: "alice@example.com", StableNodeID: "nA"}
	ci := identity.Identity{Tags: []string{"tag:ci"}, StableNodeID: "nCI"}
	multi := identity.Identity{Tags: []string{"tag:api", "tag:prod"}, StableNodeID: "nM"}
	loop := identity.LoopbackIdentity()
	tests := []struct {
		name string
		src  string
		id   identity.Identity
		want bool
	}{
		{"star user", "*", alice, true},
		{"star tagged", "*", ci, true},
		{"star loopback", "*", loop, true},
		{"exact login", "alice@example.com", alice, true},
		{"login case-insensitive", "Alice@Example.com", alice, true},
		{"other login", "bob@example.com", alice, false},
		{"login vs tagged", "alice@example.com", ci, false},
		{"tag", "tag:ci", ci, true},
		{"tag not held", "tag:prod", ci, false},
		{"tag among several", "tag:prod", multi, true},
		{"tag vs user", "tag:ci", alice, false},
		{"tag set exact", "tag:api,tag:prod", multi, true},
		{"tag set any order", "tag:prod, tag:api", multi, true},
		{"tag set subset", "tag:api", multi, true},
		{"tag set superset", "tag:api,tag:prod,tag:x", multi, false},
		{"tag set partial", "tag:api,tag:x", multi, false},
		{"tag set vs single-tag device", "tag:ci,tag:x", ci, false},
		{"loopback", "(loopback)", loop, true},
		{"loopback vs user", "(loopback)", alice, false},
		{"login vs loopback", "alice@example.com", loop, false},
		{"tag vs loopback", "tag:ci", loop, false},
		{"group never", "group:eng", alice, false},
		{"empty", "", alice, false},
		{"empty login does not match empty src", "", identity.Identity{}, false},
	}
	for _, tt := range tests {
		if got := MatchSrc(tt.src, tt.id); got != tt.want {
			t.Errorf("%s: MatchSrc(%q) = %v, want %v", tt.name, tt.src, got, tt.want)
		}
	}
}
