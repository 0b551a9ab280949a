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
	if id, err := Resolve(ctx, nil, "127.0.0.1:5000"); err != nil || !id.Loopback || id.Principal() != Loopback {
		t.Errorf("loopback without whois = %+v, %v", id, err)
	}
	if _, err := Resolve(ctx, nil, "100.64.0.1:5000"); err == nil {
		t.Errorf("tailnet address without whois resolved")
	}
	failing := func(context.Context, string) (*apitype.WhoIsResponse, error) {
		return nil, errors.New("peer not found")
	}
	if _, err := Resolve(ctx, failing, "100.64.0.1:5000"); err == nil {
		t.Errorf("whois failure resolved")
	}
	// With a WhoIs function, loopback addresses are not trusted blindly:
	// the listener decides (the gateway's LocalHandler), not the address.
	calls := 0
	who := func(context.Context, string) (*apitype.WhoIsResponse, error) {
		calls++
		return &apitype.WhoIsResponse{Node: &tailcfg.Node{Name: "n."}, UserProfile: &tailcfg.UserProfile{LoginName: "u@x"}}, nil
	}
	if id, _ := Resolve(ctx, who, "127.0.0.1:1"); id.Loopback || calls != 1 {
		t.Errorf("loopback with whois: %+v (calls %d)", id, calls)
	}
}
