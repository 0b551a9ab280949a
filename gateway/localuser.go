package gateway

import (
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/tsplug/ts-plug/gateway/identity"
)

// headerLocalUser is what ts-unplug --local-users sets: the local OS user
// owning the connection a request came on (tunnel.HeaderLocalUser). The
// gateway strips every Tailscale-* header from what it forwards, this
// one too; it only reads it, and only from shared devices.
const headerLocalUser = "Tailscale-Local-User"

// unknownLocalUser is recorded for a shared device's request that named
// no valid local user (a ts-unplug without --local-users, or one that
// could not find the connection's owner), so the row says it is unknown
// rather than looking like an ordinary device's.
const unknownLocalUser = "(unknown)"

// maxLocalUser bounds a recorded name; OS login names are far shorter.
const maxLocalUser = 64

// localUserOf is who, among the people sharing a device, sent r: the
// Tailscale-Local-User a ts-unplug on that device set, when the device
// carries one of sharedTags (config shared_device_tags). For any other
// caller it is "", whatever r says: a header is believed only from
// devices an admin marked as running a tunnel that sets it, and it is
// recorded only, never used to decide access or billing.
func localUserOf(r *http.Request, id identity.Identity, sharedTags []string) string {
	if !id.Tagged() || !slices.ContainsFunc(id.Tags, func(t string) bool { return slices.Contains(sharedTags, t) }) {
		return ""
	}
	// The exact spelling only: ts-unplug sets it so, after stripping
	// every spelling a client sent.
	v := r.Header[headerLocalUser]
	if len(v) != 1 {
		return unknownLocalUser
	}
	if name, ok := decodeLocalUser(v[0]); ok {
		return name
	}
	return unknownLocalUser
}

// decodeLocalUser undoes the RFC 2047 encoding the tunnel applies to
// names that are not printable ASCII, and accepts only a short name of
// printable characters.
func decodeLocalUser(v string) (string, bool) {
	if strings.HasPrefix(v, "=?") {
		d, err := new(mime.WordDecoder).DecodeHeader(v)
		if err != nil {
			return "", false
		}
		v = d
		if strings.Contains(v, "=?") { // a word the decoder could not read
			return "", false
		}
	}
	if v == "" || len(v) > maxLocalUser || strings.TrimSpace(v) != v {
		return "", false
	}
	for _, r := range v {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return "", false
		}
	}
	return v, true
}
