package quotas

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestResolve(t *testing.T) {
	qs := map[string]*config.Quota{}
	for _, n := range []string{"daily:<user>", "opus:<user>", "device:<node>", "team", "<user>@<node>", "x.y:<user>"} {
		qs[n] = &config.Quota{Name: n}
	}
	ms := compileMatchers(qs)
	tests := []struct {
		bucket, want string
	}{
		{"daily:alice@example.com", "daily:<user>"},
		{"daily:tag:ci,tag:prod", "daily:<user>"},
		{"daily:(loopback)", "daily:<user>"},
		{"device:nCI", "device:<node>"},
		{"team", "team"},
		{"alice@example.com@nALICE", "<user>@<node>"},
		{"opus:bob", "opus:<user>"},
		{"x.y:bob", "x.y:<user>"},
		{"xzy:bob", ""}, // the dot is literal
		{"team2", ""},
		{"weekly:alice", ""},
	}
	for _, tt := range tests {
		def, q := resolve(ms, qs, tt.bucket)
		if def != tt.want || (q == nil) != (tt.want == "") {
			t.Errorf("resolve(%q) = %q, want %q", tt.bucket, def, tt.want)
		}
	}
}
