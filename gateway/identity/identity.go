// Package identity turns a tailnet WhoIs answer into the caller identity the
// gateway authorizes, meters and shows. The WhoIs function is injected so
// unit tests use a fake and end-to-end tests the real offline tailnet.
package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"tailscale.com/client/tailscale/apitype"
)

// CapAperture is the peer capability whose values are grant capability
// objects, merged with the config's own grants.
const CapAperture = "tailscale.com/cap/aperture"

// Loopback is the principal of callers on the plain --listen listener, and
// the grant src that matches them.
const Loopback = "(loopback)"

// WhoIsFunc has the signature of (*local.Client).WhoIs.
type WhoIsFunc func(ctx context.Context, remoteAddr string) (*apitype.WhoIsResponse, error)

// ErrNoIdentity is returned for a peer with neither a user nor tags.
var ErrNoIdentity = errors.New("caller has no user and no tags")

// Identity is who is calling, as the control plane says.
type Identity struct {
	LoginName     string // user login; empty for tagged devices and loopback
	DisplayName   string
	ProfilePicURL string
	NodeName      string   // device name, FQDN without the trailing dot
	StableNodeID  string   // e.g. "nXXXXCNTRL"
	Tags          []string // sorted; non-empty for tagged devices
	Loopback      bool     // caller came in on the local --listen listener
	// Caps holds the caller's peer capabilities from WhoIs (tailnet policy
	// grants), keyed by capability name, each value one raw JSON object.
	Caps map[string][]json.RawMessage
}

// Principal is the string grants' src and quota templates match: the login
// name, or a tagged device's sorted tags joined by commas, or "(loopback)".
func (id Identity) Principal() string {
	switch {
	case id.Loopback:
		return Loopback
	case len(id.Tags) > 0:
		return strings.Join(id.Tags, ",")
	default:
		return id.LoginName
	}
}

// Tagged reports whether the caller is a tagged device (no user).
func (id Identity) Tagged() bool { return len(id.Tags) > 0 && !id.Loopback }

// LoopbackIdentity is the identity of callers on the plain local listener.
func LoopbackIdentity() Identity {
	return Identity{Loopback: true, NodeName: Loopback, DisplayName: "local user"}
}

// FromWhoIs builds an Identity from a WhoIs answer.
func FromWhoIs(w *apitype.WhoIsResponse) (Identity, error) {
	if w == nil || w.Node == nil {
		return Identity{}, ErrNoIdentity
	}
	id := Identity{
		NodeName:     strings.TrimSuffix(w.Node.Name, "."),
		StableNodeID: string(w.Node.StableID),
	}
	if len(w.Node.Tags) > 0 {
		id.Tags = slices.Clone(w.Node.Tags)
		slices.Sort(id.Tags)
	} else if w.UserProfile != nil && w.UserProfile.LoginName != "" {
		id.LoginName = w.UserProfile.LoginName
		id.DisplayName = w.UserProfile.DisplayName
		id.ProfilePicURL = w.UserProfile.ProfilePicURL
	} else {
		return Identity{}, ErrNoIdentity
	}
	if len(w.CapMap) > 0 {
		id.Caps = make(map[string][]json.RawMessage, len(w.CapMap))
		for k, vs := range w.CapMap {
			for _, v := range vs {
				id.Caps[string(k)] = append(id.Caps[string(k)], json.RawMessage(v))
			}
		}
	}
	return id, nil
}

// Resolve asks whois about remoteAddr and returns the caller's identity.
// A loopback remoteAddr is asked about like any other, never taken for
// "(loopback)": behind a local proxy (tailscale serve, nginx, ts-plug)
// every remote caller arrives from 127.0.0.1, so the address says
// nothing about who is calling. Only the listener a request came in on
// makes it "(loopback)" (see LoopbackIdentity).
func Resolve(ctx context.Context, whois WhoIsFunc, remoteAddr string) (Identity, error) {
	if whois == nil {
		return Identity{}, ErrNoIdentity
	}
	w, err := whois(ctx, remoteAddr)
	if err != nil {
		return Identity{}, fmt.Errorf("whois %s: %w", remoteAddr, err)
	}
	return FromWhoIs(w)
}
