package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
)

// errNoClientCredential is why a passthrough provider's request is
// refused before it goes upstream: the caller sent nothing to forward, and
// an unauthenticated request would only come back as the provider's own
// 401, after a hold on the caller's buckets.
var errNoClientCredential = errors.New("no client credential")

// credential is what authenticates one upstream request, as the
// provider's auth_mode says: the provider's key (override), the caller's
// own credential headers and ?key= (passthrough), or nothing (none).
type credential struct {
	mode          string
	authorization string      // override: how the key is sent
	key           string      // override: the provider's key
	client        http.Header // passthrough: the caller's credential headers
	clientKeys    []string    // passthrough: the caller's ?key= values
}

// credentialFor chooses the credential for a request to p from a caller
// that sent header h and query q. A passthrough provider whose caller sent
// no credential is errNoClientCredential, wrapped in a message for the
// caller.
func credentialFor(p *config.Provider, h http.Header, q url.Values) (credential, error) {
	switch p.AuthMode {
	case "", config.AuthModeOverride:
		return credential{mode: config.AuthModeOverride, authorization: p.Authorization, key: p.APIKey}, nil
	case config.AuthModePassthrough:
		c := credential{mode: p.AuthMode, client: apis.ClientCredentials(h), clientKeys: apis.KeyQuery(q)}
		if len(c.client) == 0 && len(c.clientKeys) == 0 {
			return credential{}, fmt.Errorf("provider %s (%s) uses auth_mode passthrough: it needs your own credential "+
				"(an API key, or your subscription login's token, in Authorization, x-api-key or x-goog-api-key), "+
				"and this request has none: %w", p.ID, p.DisplayName(), errNoClientCredential)
		}
		return c, nil
	case config.AuthModeNone:
		return credential{mode: p.AuthMode}, nil
	}
	return credential{}, fmt.Errorf("provider %s: unknown auth_mode %q", p.ID, p.AuthMode)
}

// setQuery edits an upstream request's query: only passthrough keeps the
// caller's ?key=; elsewhere it is a placeholder, or a key meant for
// another provider, and must not leave the gateway.
func (c credential) setQuery(q url.Values) {
	if c.mode != config.AuthModePassthrough {
		apis.StripKeyQuery(q)
	}
}

// setHeaders puts the credential on an upstream request's headers,
// already cleaned by apis.SanitizeRequestHeaders; exactly one kind of
// credential travels.
func (c credential) setHeaders(h http.Header) error {
	switch c.mode {
	case config.AuthModePassthrough:
		apis.RemoveCredentials(h)
		for k, vs := range c.client {
			h[k] = slices.Clone(vs)
		}
		return nil
	case config.AuthModeNone:
		apis.RemoveCredentials(h)
		return nil
	}
	return apis.InjectKey(h, c.authorization, c.key)
}

// secrets lists the values that must never appear in a message built from
// an upstream error: the provider's key, or the caller's forwarded
// credential whole, its token without the auth scheme ("Bearer …"), and
// each ?key= as sent and as it appears escaped in a URL.
func (c credential) secrets() []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(c.key)
	for _, vs := range c.client {
		for _, v := range vs {
			add(v)
			if _, token, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
				add(token)
			}
		}
	}
	for _, k := range c.clientKeys {
		add(k)
		add(url.QueryEscape(k))
	}
	return out
}
