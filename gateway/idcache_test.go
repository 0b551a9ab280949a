package gateway

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/identity"
	"tailscale.com/client/tailscale/apitype"
)

func TestWhoIsCache(t *testing.T) {
	now := time.Unix(1000, 0)
	calls := 0
	var c whoisCache
	who := c.wrap(func(context.Context, string) (*apitype.WhoIsResponse, error) {
		calls++
		return user("alice@example.com"), nil
	}, func() time.Time { return now })
	ctx := context.Background()
	who(ctx, "100.64.0.1:1")
	who(ctx, "100.64.0.1:1")
	if calls != 1 {
		t.Errorf("same address within the TTL: %d WhoIs calls, want 1", calls)
	}
	who(ctx, "100.64.0.2:1")
	if calls != 2 {
		t.Errorf("another address: %d calls, want 2", calls)
	}
	now = now.Add(whoisTTL)
	who(ctx, "100.64.0.1:1")
	if calls != 3 {
		t.Errorf("after the TTL: %d calls, want 3 (revoked grants must take effect)", calls)
	}
	if (&whoisCache{}).wrap(nil, time.Now) != nil {
		t.Errorf("wrapping no WhoIs made one")
	}
}

func TestAccessCacheFollowsCapsAndConfig(t *testing.T) {
	cfg, _, err := config.Parse([]byte(`{"providers":{"p":{"baseurl":"http://x","models":["m"]}},
		"grants":[{"src":["alice@example.com"],"app":{"tailscale.com/cap/aperture":[{"role":"user"}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rc := &runtimeConfig{cfg: cfg}
	alice, _ := identity.FromWhoIs(user("alice@example.com"))
	if rc.access.get(rc, alice).Role() != grants.User {
		t.Fatal("alice is not a user")
	}
	// Same person, now with an admin grant from the tailnet policy: a
	// different cache entry.
	admin, _ := identity.FromWhoIs(user("alice@example.com", `{"role":"admin"}`))
	if rc.access.get(rc, admin).Role() != grants.Admin {
		t.Error("policy admin grant ignored: stale cache entry")
	}
	if rc.access.get(rc, alice).Role() != grants.User {
		t.Error("cache mixed up two identities")
	}
}

func TestWhoIsCacheBounded(t *testing.T) {
	var c whoisCache
	who := c.wrap(func(context.Context, string) (*apitype.WhoIsResponse, error) {
		return user("alice@example.com"), nil
	}, time.Now)
	for i := range maxCached + 100 {
		who(context.Background(), fmt.Sprintf("100.64.%d.%d:1", i/250, i%250))
	}
	if n := c.m.len(); n > maxCached {
		t.Errorf("cache holds %d entries, bound is %d", n, maxCached)
	}
}
