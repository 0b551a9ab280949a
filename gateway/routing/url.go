package routing

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// isVersionSegment reports whether seg is an API version path segment
// (v1, v4, v1beta, v1alpha2 and the like): what ^v\d+((alpha|beta)\d*)?$
// matches (FuzzIsVersionSegment), without two regexp matches per request.
func isVersionSegment(seg string) bool {
	const digits = "0123456789"
	rest, ok := strings.CutPrefix(seg, "v")
	if !ok {
		return false
	}
	if n := len(rest); len(strings.TrimLeft(rest, digits)) == n {
		return false // no digit after the v
	}
	rest = strings.TrimLeft(rest, digits)
	if rest == "" {
		return true
	}
	if after, ok := strings.CutPrefix(rest, "alpha"); ok {
		rest = after
	} else if after, ok := strings.CutPrefix(rest, "beta"); ok {
		rest = after
	} else {
		return false
	}
	return strings.TrimLeft(rest, digits) == ""
}

// versionlessFirst lists first path segments of OpenAI- and
// Anthropic-style endpoints that clients may send without "/v1".
var versionlessFirst = map[string]bool{
	"chat": true, "responses": true, "messages": true, "completions": true,
	"embeddings": true, "models": true,
}

// JoinURL builds the upstream URL from a provider baseurl, the request's
// decoded path (the one the gateway routed and authorized, decoded exactly
// once) and raw query. The path is escaped here, segment by segment, so
// the provider decodes it back to exactly that path: an escape the client
// sent is never decoded a second time on the way. The request path is
// appended to the baseurl's path, so path prefixes such as OpenRouter's
// "/api" survive.
// When the baseurl already ends in a version segment ("/v1", "/v4",
// "/v1beta") and the request path starts with one, the request's is
// dropped: self-hosted servers are documented with a "/v1" baseurl, and
// providers such as z.ai use "/api/paas/v4" where clients send "/v1/...".
// Conversely a versionless OpenAI/Anthropic path ("/chat/completions",
// "/responses", "/messages"), which some clients send, gets "/v1" added
// when the baseurl carries no version of its own.
// Paths with "." or ".." segments, control characters, "\", "%", "?" or
// "#" are refused: the gateway never authorizes one (apis.DecodePath), so
// meeting one here means a path was decoded too often or not at all.
func JoinURL(baseURL, path, rawQuery string) (string, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return "", fmt.Errorf("parsing baseurl: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("baseurl %q is not an absolute http(s) URL", baseURL)
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if err := checkDecodedPath(path); err != nil {
		return "", err
	}
	path0 := path
	base := strings.TrimRight(u.EscapedPath(), "/")
	first, _, more := strings.Cut(path[1:], "/")
	baseVersioned := isVersionSegment(base[strings.LastIndex(base, "/")+1:])
	switch {
	case baseVersioned && isVersionSegment(first):
		// "/" and what follows first: a slice of path, not a copy.
		path = "/"
		if more {
			path = path0[1+len(first):]
		}
	case !baseVersioned && versionlessFirst[first]:
		path = "/v1" + path
	}
	joined := base + escapePath(path)
	out := &url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host}
	if out.Path, err = url.PathUnescape(joined); err != nil {
		return "", fmt.Errorf("joined path %q: %w", joined, err)
	}
	out.RawPath = joined
	switch {
	case u.RawQuery != "" && rawQuery != "":
		out.RawQuery = u.RawQuery + "&" + rawQuery
	case rawQuery != "":
		out.RawQuery = rawQuery
	default:
		out.RawQuery = u.RawQuery
	}
	return out.String(), nil
}

// baseURLs memoizes parseBaseURL: every upstream request joins its
// provider's base URL, one of the few a config names. At most
// maxBaseURLs are kept; past it a base URL is parsed each time.
var (
	baseURLs  sync.Map // string -> *url.URL, read-only
	nbaseURLs atomic.Int64
)

const maxBaseURLs = 256

// parseBaseURL is url.Parse for a provider's base URL. The URL it returns
// is shared: JoinURL only reads it.
func parseBaseURL(s string) (*url.URL, error) {
	if u, ok := baseURLs.Load(s); ok {
		return u.(*url.URL), nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if nbaseURLs.Load() < maxBaseURLs {
		if _, loaded := baseURLs.LoadOrStore(s, u); !loaded {
			nbaseURLs.Add(1)
		}
	}
	return u, nil
}

// checkDecodedPath refuses a decoded path that apis.DecodePath would
// never have produced and that a provider could read as another path.
func checkDecodedPath(path string) error {
	for i := 0; i < len(path); i++ {
		if c := path[i]; c < 0x20 || c == 0x7f || strings.IndexByte("\\%?#", c) >= 0 {
			return fmt.Errorf("request path %q has a control character, \\, %%, ? or #", path)
		}
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return errors.New("request path must not contain . or .. segments")
		}
	}
	return nil
}

// escapePath escapes a decoded path for the request line: every byte
// that is not a path character of RFC 3986 (unreserved, sub-delims, ":"
// and "@") is percent-encoded, and so is ";", which servlet containers
// read as the start of path parameters; "/" stays the separator. An ordinary path
// thus goes out byte for byte as the client sent it, and whatever a
// client escaped goes out escaped once. (url.PathEscape would also encode
// sub-delims such as "!" and "*", changing paths that needed no change.)
func escapePath(path string) string {
	clean := true
	for i := 0; i < len(path) && clean; i++ {
		clean = path[i] == '/' || pathChar(path[i])
	}
	if clean {
		return path // the usual path, copied by nothing
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(path))
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '/' || pathChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// pathChar reports whether c is an RFC 3986 pchar, ";" aside, that needs
// no escape.
func pathChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("-._~!$&'()*+,=:@", c) >= 0
}
