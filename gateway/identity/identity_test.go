package identity

import (
	"context"
	"errors"
	"testing"

	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/tailcfg"
)

func TestFromWhoIs(t *testing.T) {
	tests := []struct {
		name          string
		in            *apitype.WhoIsResponse
		wantPrincipal string
		wantNode      string
		wantErr       bool
	}{
		{
			name: "user",
			in: &apitype.WhoIsResponse{
				Node:        &tailcfg.Node{Name: "laptop.example.ts.net.", StableID: "nABC"},
				UserProfile: &tailcfg.UserProfile{LoginName: "alice@example.com", DisplayName: "Alice"},
			},
			wantPrincipal: "alice@example.com", wantNode: "laptop.example.ts.net",
		},
		{
			name: "tagged device: sorted tags, user ignored",
			in: &apitype.WhoIsResponse{
				Node:        &tailcfg.Node{Name: "ci.example.ts.net.", Tags: []string{"tag:prod", "tag:ci"}},
				UserProfile: &tailcfg.UserProfile{LoginName: "tagged-devices"},
			},
			wantPrincipal: "tag:ci,tag:prod", wantNode: "ci.example.ts.net",
		},
		{name: "no user, no tags", in: &apitype.WhoIsResponse{Node: &tailcfg.Node{Name: "x."}}, wantErr: true},
		{name: "nil", in: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := FromWhoIs(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrNoIdentity) {
					t.Errorf("err = %v, want ErrNoIdentity", err)
				}
				return
			}
			if id.Principal() != tt.wantPrincipal || id.NodeName != tt.wantNode {
				t.Errorf("principal %q node %q", id.Principal(), id.NodeName)
			}
		})
	}
}

func TestCapsCopied(t *testing.T) {
	w := &apitype.WhoIsResponse{
		Node:        &tailcfg.Node{Name: "n."},
		UserProfile: &tailcfg.UserProfile{LoginName: "a@b"},
		CapMap:      tailcfg.PeerCapMap{CapAperture: {`{"role":"admin"}`, `{"models":"**"}`}},
	}
	id, err := FromWhoIs(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := id.Caps[CapAperture]; len(got) != 2 || string(got[0]) != `{"role":"admin"}` {
		t.Errorf("caps = %q", got)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	failing := func(context.Context, string) (*apitype.WhoIsResponse, error) {
		return nil, errors.New("peer not found")
	}
	who := func(context.Context, string) (*apitype.WhoIsResponse, error) {
		return &apitype.WhoIsResponse{Node: &tailcfg.Node{Name: "n."}, UserProfile: &tailcfg.UserProfile{LoginName: "u@x"}}, nil
	}
	// A loopback address is never "(loopback)" by itself: behind a local
	// proxy every remote caller comes from 127.0.0.1. Only the local
	// listener makes a caller "(loopback)".
	tests := []struct {
		name          string
		whois         WhoIsFunc
		addr          string
		wantPrincipal string // "" = an error
	}{
		{"loopback address, no whois", nil, "127.0.0.1:5000", ""},
		{"IPv6 loopback, no whois", nil, "[::1]:5000", ""},
		{"mapped loopback, no whois", nil, "[::ffff:127.0.0.1]:5000", ""},
		{"tailnet address, no whois", nil, "100.64.0.1:5000", ""},
		{"whois fails", failing, "100.64.0.1:5000", ""},
		{"loopback address, whois fails", failing, "127.0.0.1:5000", ""},
		{"loopback address, whois answers", who, "127.0.0.1:1", "u@x"},
		{"tailnet address, whois answers", who, "100.64.0.1:1", "u@x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Resolve(ctx, tt.whois, tt.addr)
			if id.Loopback || id.Principal() == Loopback {
				t.Fatalf("resolved to (loopback): %+v", id)
			}
			if tt.wantPrincipal == "" {
				if err == nil {
					t.Errorf("resolved to %q, want an error", id.Principal())
				}
				return
			}
			if err != nil || id.Principal() != tt.wantPrincipal {
				t.Errorf("got %q, %v; want %q", id.Principal(), err, tt.wantPrincipal)
			}
		})
	}
}
