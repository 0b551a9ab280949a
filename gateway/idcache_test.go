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
	// A cached caller is found without allocating (the key was a string
	// joined on every request).
	if n := testing.AllocsPerRun(100, func() { rc.access.get(rc, alice) }); n != 0 {
		t.Errorf("a cached lookup allocated %v times, want 0", n)
	}
	// Two callers whose capabilities differ only in how they are split
	// are two entries.
	two, _ := identity.FromWhoIs(user("alice@example.com", `{"role":"user"}`, `{"role":"admin"}`))
	one, _ := identity.FromWhoIs(user("alice@example.com", `{"role":"user"}`))
	if rc.access.get(rc, one).Role() == rc.access.get(rc, two).Role() {
		t.Error("one and two capability objects share an entry")
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
