package gateway

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
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

// maxCached bounds each cache; past it the cache starts over.
const maxCached = 4096

type whoisEntry struct {
	resp    *apitype.WhoIsResponse
	expires time.Time
}

// whoisCache memoizes WhoIs answers by remote address for whoisTTL. A hit
// (nearly every request: clients keep connections alive) takes no lock.
type whoisCache struct {
	m sync.Map // addr string -> whoisEntry
	n atomic.Int64
}

func (c *whoisCache) wrap(whois identity.WhoIsFunc, now func() time.Time) identity.WhoIsFunc {
	if whois == nil {
		return nil
	}
	return func(ctx context.Context, addr string) (*apitype.WhoIsResponse, error) {
		t := now()
		if e, ok := c.m.Load(addr); ok && t.Before(e.(whoisEntry).expires) {
			return e.(whoisEntry).resp, nil
		}
		resp, err := whois(ctx, addr)
		if err != nil {
			return nil, err
		}
		if c.n.Add(1) > maxCached {
			c.m.Clear()
			c.n.Store(0)
		}
		c.m.Store(addr, whoisEntry{resp: resp, expires: t.Add(whoisTTL)})
		return resp, nil
	}
}

// accessCache memoizes grant evaluation per identity under one config
// (a runtimeConfig holds its own, so a reload starts afresh). Access
// values are read-only once built.
type accessCache struct {
	m sync.Map // key string -> *grants.Access
	n atomic.Int64
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
	if a, ok := c.m.Load(key); ok {
		return a.(*grants.Access)
	}
	a := grants.Evaluate(rc.cfg, id)
	if c.n.Add(1) > maxCached {
		c.m.Clear()
		c.n.Store(0)
	}
	c.m.Store(key, a)
	return a
}
