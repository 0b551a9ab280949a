package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/identity"
)

type source int

const (
	sourceTailnet source = iota
	sourceLoopback
)

type sourceKey struct{}

func withSource(ctx context.Context, s source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// caller is who is calling and what they may do, under one config.
type caller struct {
	id     identity.Identity
	access *grants.Access
	rc     *runtimeConfig
}

var errNoTailnet = errors.New("this gateway has no tailnet; use its local listener")

// identify resolves the caller of r. Identity comes from the listener a
// request arrived on and the tailnet's WhoIs, never from headers.
func (s *Server) identify(r *http.Request) (*caller, error) {
	rc := s.state.Load()
	var id identity.Identity
	if src, _ := r.Context().Value(sourceKey{}).(source); src == sourceLoopback {
		id = identity.LoopbackIdentity()
	} else {
		if s.opts.WhoIs == nil {
			return nil, errNoTailnet
		}
		var err error
		id, err = identity.Resolve(r.Context(), s.whois, r.RemoteAddr)
		if err != nil {
			return nil, err
		}
	}
	return &caller{id: id, access: rc.access.get(rc, id), rc: rc}, nil
}

// roleName is the caller's role for JSON answers.
func (c *caller) roleName() string {
	switch c.access.Role() {
	case grants.Admin:
		return "admin"
	case grants.User:
		return "user"
	}
	return "none"
}

func (c *caller) isAdmin() bool { return c.access.Role() == grants.Admin }

func (c *caller) cfg() *config.Config { return c.rc.cfg }
