package apis

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// A PathError says why a request path was refused before routing. The
// gateway answers it 400 in the dialect the path suggests: the path is one
// a client never sends, and which servers behind the gateway could read as
// another path than the one the gateway authorized.
type PathError struct {
	Path   string // the path as it arrived, still escaped
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("request path %q: %s; the gateway forwards only paths it reads exactly as the provider will", e.Path, e.Reason)
}

// ErrNoRoute is DetectURL's answer for a well-formed path that is no
// provider route (the gateway answers 404, or serves it itself).
var ErrNoRoute = errors.New("not a provider route")

// DecodePath decodes an escaped request path exactly once and refuses
// every spelling that a server or proxy further on could read as a
// different path:
//
//   - a percent escape may only spell an unreserved character (letters,
//     digits, "-", ".", "_", "~"), never "/" or "\" (%2F, %5C, which some
//     servers split on after decoding), "%" (%25: double encoding, which a
//     second decoder turns into a new path), a delimiter (":", "?", "#",
//     ";", which give the path another structure), a control character
//     (%00 ends C strings) or a byte outside ASCII;
//   - a literal byte must be a path character of RFC 3986 other than ";"
//     (path parameters, which servlet containers strip) and "\";
//   - no segment may be "." or ".." however it is spelled (%2e%2e), and no
//     segment but the last may be empty.
//
// Escapes of unreserved characters are decoded (resp_%41BC is resp_ABC),
// so every spelling of an allowed path decodes to the one path the
// gateway routes, authorizes and forwards.
func DecodePath(escaped string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &PathError{Path: escaped, Reason: reason}
	}
	if !strings.HasPrefix(escaped, "/") {
		return bad("must start with /")
	}
	var b strings.Builder
	b.Grow(len(escaped))
	segStart := 0 // offset in b of the current segment
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		switch {
		case c == '%':
			if i+2 >= len(escaped) || !isHex(escaped[i+1]) || !isHex(escaped[i+2]) {
				return bad("malformed percent escape")
			}
			d := unhex(escaped[i+1])<<4 | unhex(escaped[i+2])
			if !isUnreserved(d) {
				return bad(fmt.Sprintf("%s spells %s, which must not be escaped", escaped[i:i+3], describeByte(d)))
			}
			b.WriteByte(d)
			i += 2
		case c == '/':
			// The "" before the leading "/" is no segment.
			if err := checkSegment(b.String()[segStart:], false); i > 0 && err != "" {
				return bad(err)
			}
			b.WriteByte('/')
			segStart = b.Len()
		case isPathChar(c):
			b.WriteByte(c)
		default:
			return bad(describeByte(c) + " is not allowed in a path")
		}
	}
	if err := checkSegment(b.String()[segStart:], true); err != "" {
		return bad(err)
	}
	return b.String(), nil
}

// checkSegment vets one decoded segment.
func checkSegment(seg string, last bool) string {
	switch {
	case seg == "." || seg == "..":
		return "a . or .. segment climbs out of the API"
	case seg == "" && !last:
		return "empty segment (//)"
	}
	return ""
}

// RequestPath is DecodePath of u's path exactly as it arrived. net/url
// keeps the original escaping in RawPath only when it differs from the
// default one, and EscapedPath may drop RawPath (when it holds bytes that
// should have been escaped), re-escaping the decoded path and losing an
// encoded slash: so RawPath itself is read whenever it is set.
func RequestPath(u *url.URL) (string, error) {
	raw := u.RawPath
	if raw == "" {
		raw = u.EscapedPath()
	}
	return DecodePath(raw)
}

// DetectURL classifies a provider request from its method and URL: the
// path is decoded once by DecodePath and the route's Path is set to it, so
// the URL sent upstream is built from the very path that was authorized.
// The error is a *PathError for a path that must be answered 400 (a
// malformed response ID included), and ErrNoRoute for a path that is no
// provider route.
func DetectURL(method string, u *url.URL) (Route, error) {
	path, err := RequestPath(u)
	if err != nil {
		return Route{}, err
	}
	rt, ok, reason := detect(method, path, u.RawQuery)
	if reason != "" {
		return Route{}, &PathError{Path: u.EscapedPath(), Reason: reason}
	}
	if !ok {
		return Route{}, ErrNoRoute
	}
	rt.Path = path
	return rt, nil
}

// ValidResponseID reports whether id can be an OpenAI response ID:
// non-empty, at most 200 bytes, of letters, digits, "_" and "-". Stored
// responses are owned per caller, and ownership is compared on the ID, so
// an ID must have exactly one spelling: the path's (decoded once), the
// body's previous_response_id (decoded by the JSON scanner) and the
// provider's own all meet here. Anything else is refused, not looked up.
func ValidResponseID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isUnreserved reports whether c is an unreserved character of RFC 3986,
// the only ones an escape may spell.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isPathChar reports whether c may appear literally: RFC 3986's pchar
// (unreserved, sub-delims, ":" and "@") without ";".
func isPathChar(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("!$&'()*+,=:@", c) >= 0
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// describeByte names c for an error message without echoing a control
// character into it.
func describeByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02X", c)
	}
	return fmt.Sprintf("%q", string(c))
}
