package tunnel

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/tailcfg"
)

// Identity headers a plugged server receives on every request, set by the
// tunnel from the tailnet's WhoIs of the caller. They carry the same names
// and encoding as `tailscale serve`'s, so a server written for one works
// behind the other.
const (
	HeaderUserLogin       = "Tailscale-User-Login"
	HeaderUserName        = "Tailscale-User-Name"
	HeaderUserProfilePic  = "Tailscale-User-Profile-Pic"
	HeaderNodeName        = "Tailscale-Node-Name"
	HeaderTags            = "Tailscale-Tags"
	HeaderAppCapabilities = "Tailscale-App-Capabilities"
	HeaderFunnelRequest   = "Tailscale-Funnel-Request"
)

// Caller is who sent a request to a plugged server, as far as the tunnel
// knows: a tailnet device (WhoIs), a Funnel visitor from the internet, or
// nobody known (WhoIs failed), which gets no identity at all.
type Caller struct {
	// WhoIs is the tailnet's answer for the caller's address; nil when
	// unknown.
	WhoIs *apitype.WhoIsResponse
	// Funnel marks a request that came from the public internet through
	// Tailscale Funnel: it has no tailnet identity.
	Funnel bool
}

// SetIdentityHeaders replaces every Tailscale-* header in h, in any
// spelling a server may fold to one (see IsReservedHeader), with the
// caller's identity. Inbound values are always removed first, so a client
// can never pose as someone else. User headers are set only for devices
// owned by a user (a tagged device has no user, only Tailscale-Tags);
// Tailscale-App-Capabilities holds the caller's capabilities whose names
// start with one of capPrefixes, as a JSON object of name to values (no
// prefixes: no header). Funnel requests carry only
// Tailscale-Funnel-Request: ?1.
func SetIdentityHeaders(h http.Header, c Caller, capPrefixes []string) {
	StripTailscaleHeaders(h)
	if c.Funnel {
		h.Set(HeaderFunnelRequest, "?1")
		return
	}
	who := c.WhoIs
	if who == nil || who.Node == nil {
		return
	}
	setEncoded(h, HeaderNodeName, strings.TrimSuffix(who.Node.Name, "."))
	if who.Node.IsTagged() {
		setEncoded(h, HeaderTags, strings.Join(who.Node.Tags, ","))
	} else if u := who.UserProfile; u != nil {
		setEncoded(h, HeaderUserLogin, u.LoginName)
		setEncoded(h, HeaderUserName, u.DisplayName)
		setEncoded(h, HeaderUserProfilePic, u.ProfilePicURL)
	}
	if len(capPrefixes) > 0 {
		caps := FilterCaps(who.CapMap, capPrefixes)
		b, err := json.Marshal(caps)
		if err == nil {
			setEncoded(h, HeaderAppCapabilities, string(b))
		}
	}
}

// FilterCaps returns the capabilities in caps whose names start with one
// of prefixes. It never returns nil, so the JSON form is {} rather than
// null when the caller has none.
func FilterCaps(caps tailcfg.PeerCapMap, prefixes []string) map[tailcfg.PeerCapability][]tailcfg.RawMessage {
	out := make(map[tailcfg.PeerCapability][]tailcfg.RawMessage)
	for name, vals := range caps {
		for _, p := range prefixes {
			if p != "" && strings.HasPrefix(string(name), p) {
				out[name] = vals
				break
			}
		}
	}
	return out
}

// EncodeHeaderValue makes v safe as an HTTP header value the way
// `tailscale serve` does: printable ASCII is kept as is, anything else
// (non-ASCII names, control characters) becomes an RFC 2047 Q-encoded
// word, "=?utf-8?q?...?=", and invalid UTF-8 becomes "".
func EncodeHeaderValue(v string) string {
	if !utf8.ValidString(v) {
		return ""
	}
	return mime.QEncoding.Encode("utf-8", v)
}

func setEncoded(h http.Header, name, v string) {
	if v = EncodeHeaderValue(v); v != "" {
		h.Set(name, v)
	}
}
