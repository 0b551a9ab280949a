package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

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
	id = s.withOperatorAdmin(id)
	return &caller{id: id, access: rc.access.get(rc, id), rc: rc}, nil
}

// operatorAdminCap is the capability an operator's --admin adds.
var operatorAdminCap = json.RawMessage(`{"role":"admin"}`)

// withOperatorAdmin gives id the admin role when the operator named it
// (Options.Admins). The role is added as one more of the caller's
// capabilities, like a tailnet policy grant: it counts whatever the
// config says, in every check (a config save that drops the saver's own
// admin role included), and is part of the identity the access cache
// keys on.
func (s *Server) withOperatorAdmin(id identity.Identity) identity.Identity {
	if !slices.ContainsFunc(s.opts.Admins, func(src string) bool { return grants.MatchSrc(src, id) }) {
		return id
	}
	caps := maps.Clone(id.Caps)
	if caps == nil {
		caps = map[string][]json.RawMessage{}
	}
	caps[identity.CapAperture] = append(slices.Clip(caps[identity.CapAperture]), operatorAdminCap)
	id.Caps = caps
	return id
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

// notAdmin is the 403 message for a non-admin at an admin-only endpoint:
// what needed the role, who the caller is, and how the operator makes
// them an admin (a fresh gateway has none).
func (c *caller) notAdmin(what string) string {
	return fmt.Sprintf("%s needs the admin role; you are %s with role %s. %s",
		what, c.id.Principal(), c.roleName(), config.AdminHowToFor(c.id.Principal()))
}

func (c *caller) cfg() *config.Config { return c.rc.cfg }
