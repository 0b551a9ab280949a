package routing

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// versionSegment matches API version path segments: v1, v4, v1beta,
// v1alpha2 and the like.
var versionSegment = regexp.MustCompile(`^v\d+((alpha|beta)\d*)?$`)

// versionlessFirst lists first path segments of OpenAI- and
// Anthropic-style endpoints that clients may send without "/v1".
var versionlessFirst = map[string]bool{
	"chat": true, "responses": true, "messages": true, "completions": true,
	"embeddings": true, "models": true,
}

// JoinURL builds the upstream URL from a provider baseurl, the request's
// (escaped) path and raw query. The request path is appended to the
// baseurl's path, so path prefixes such as OpenRouter's "/api" survive.
// When the baseurl already ends in a version segment ("/v1", "/v4",
// "/v1beta") and the request path starts with one, the request's is
// dropped: self-hosted servers are documented with a "/v1" baseurl, and
// providers such as z.ai use "/api/paas/v4" where clients send "/v1/...".
// Conversely a versionless OpenAI/Anthropic path ("/chat/completions",
// "/responses", "/messages"), which some clients send, gets "/v1" added
// when the baseurl carries no version of its own.
// Paths with "." or ".." segments are refused so a caller cannot climb
// out of the provider's API prefix.
func JoinURL(baseURL, path, rawQuery string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("parsing baseurl: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("baseurl %q is not an absolute http(s) URL", baseURL)
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	for _, seg := range strings.Split(path, "/") {
		if dec, err := url.PathUnescape(seg); err != nil {
			return "", fmt.Errorf("request path %q: %w", path, err)
		} else if dec == "." || dec == ".." {
			return "", errors.New("request path must not contain . or .. segments")
		}
	}
	base := strings.TrimRight(u.EscapedPath(), "/")
	first, after, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	baseVersioned := versionSegment.MatchString(base[strings.LastIndex(base, "/")+1:])
	switch {
	case baseVersioned && versionSegment.MatchString(first):
		path = "/" + after
	case !baseVersioned && versionlessFirst[first]:
		path = "/v1" + path
	}
	joined := base + path
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
