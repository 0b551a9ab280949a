package gateway

import (
	"context"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/identity"
	"tailscale.com/client/tailscale/apitype"
)

// whoisTTL is how long a WhoIs answer is reused for the same peer
// address. WhoIs goes through tsnet's local API on every call; a caller
// on a kept-alive connection sends many requests from one address. A
// grant revoked in the tailnet policy takes effect within this time.
const whoisTTL = time.Second

// maxCached bounds the WhoIs and grant caches; past it the least
// recently used entries go.
const maxCached = 4096

type whoisEntry struct {
	resp    *apitype.WhoIsResponse
	expires time.Time
}

// whoisCache memoizes WhoIs answers by remote address for whoisTTL (a
// hit is nearly every request: clients keep connections alive).
type whoisCache struct {
	m boundedCache[string, whoisEntry] // by peer address
}

func (c *whoisCache) wrap(whois identity.WhoIsFunc, now func() time.Time) identity.WhoIsFunc {
	if whois == nil {
		return nil
	}
	return func(ctx context.Context, addr string) (*apitype.WhoIsResponse, error) {
		t := now()
		if e, ok := c.m.get(addr); ok && t.Before(e.expires) {
			return e.resp, nil
		}
		resp, err := whois(ctx, addr)
		if err != nil {
			return nil, err
		}
		c.m.set(addr, whoisEntry{resp: resp, expires: t.Add(whoisTTL)}, maxCached)
		return resp, nil
	}
}

// accessCache memoizes grant evaluation per identity under one config
// (a runtimeConfig holds its own, so a reload starts afresh). Access
// values are read-only once built.
type accessCache struct {
	m boundedCache[string, *grants.Access] // by identity and caps
}

func (c *accessCache) get(rc *runtimeConfig, id identity.Identity) *grants.Access {
	var b strings.Builder
	b.WriteString(id.Principal())
	b.WriteByte(0)
	b.WriteString(id.StableNodeID)
	for _, raw := range id.Caps[identity.CapAperture] {
		b.WriteByte(0)
		b.Write(raw)
	}
	key := b.String()
	if a, ok := c.m.get(key); ok {
		return a
	}
	a := grants.Evaluate(rc.cfg, id)
	c.m.set(key, a, maxCached)
	return a
}
