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
	m boundedCache[accessKey, *grants.Access]
}

// accessKey is what grant evaluation reads of an identity: who, which
// device, and its raw aperture capabilities. A struct, not a joined
// string: a caller without capabilities (a loopback or plain tailnet
// caller) is looked up without allocating (issue #16).
type accessKey struct {
	principal, stableNodeID string
	caps                    string // the raw capabilities, NUL-separated
}

func (c *accessCache) get(rc *runtimeConfig, id identity.Identity) *grants.Access {
	key := accessKey{principal: id.Principal(), stableNodeID: id.StableNodeID}
	if raw := id.Caps[identity.CapAperture]; len(raw) > 0 {
		var b strings.Builder
		for i, r := range raw {
			if i > 0 {
				b.WriteByte(0)
			}
			b.Write(r)
		}
		key.caps = b.String()
	}
	if a, ok := c.m.get(key); ok {
		return a
	}
	a := grants.Evaluate(rc.cfg, id)
	c.m.set(key, a, maxCached)
	return a
}
