package gateway

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
)

// What each auth_mode puts on the upstream request, from a caller that
// sent an OAuth token, an x-api-key and a ?key=.
func TestCredentialByMode(t *testing.T) {
	client := http.Header{
		"Authorization":  {"Bearer sk-ant-oat01-client"},
		"X-Api-Key":      {"sk-client-key"},
		"Anthropic-Beta": {"oauth-2025-04-20"},
	}
	tests := []struct {
		mode      string
		wantCreds http.Header // the credential headers upstream
		wantQuery string
	}{
		{"", http.Header{"X-Api-Key": {"sk-provider"}}, "alt=sse"},
		{config.AuthModeOverride, http.Header{"X-Api-Key": {"sk-provider"}}, "alt=sse"},
		{config.AuthModePassthrough, http.Header{"Authorization": {"Bearer sk-ant-oat01-client"}, "X-Api-Key": {"sk-client-key"}}, "alt=sse&key=client-query-key"},
		{config.AuthModeNone, nil, "alt=sse"},
	}
	for _, tt := range tests {
		t.Run(cmp.Or(tt.mode, "unset"), func(t *testing.T) {
			p := &config.Provider{ID: "a", AuthMode: tt.mode, Authorization: config.AuthXAPIKey, APIKey: "sk-provider"}
			q := url.Values{"alt": {"sse"}, "key": {"client-query-key"}}
			cred, err := credentialFor(p, client, q)
			if err != nil {
				t.Fatal(err)
			}
			up := client.Clone()
			apis.SanitizeRequestHeaders(up)
			if err := cred.setHeaders(up); err != nil {
				t.Fatal(err)
			}
			cred.setQuery(q)
			if got := apis.ClientCredentials(up); !reflect.DeepEqual(got, tt.wantCreds) {
				t.Errorf("upstream credentials = %v, want %v", got, tt.wantCreds)
			}
			if up.Get("Anthropic-Beta") != "oauth-2025-04-20" {
				t.Errorf("anthropic-beta dropped: %v", up)
			}
			if got := q.Encode(); got != tt.wantQuery {
				t.Errorf("query = %q, want %q", got, tt.wantQuery)
			}
		})
	}
}

// A passthrough provider with nothing to pass through is refused before
// any upstream request, with a message naming the provider; a Gemini key
// in the URL alone is a credential.
func TestPassthroughNeedsTheClientsCredential(t *testing.T) {
	p := &config.Provider{ID: "claude", Name: "Claude Max", AuthMode: config.AuthModePassthrough}
	_, err := credentialFor(p, http.Header{"Content-Type": {"application/json"}, "Authorization": {" "}}, url.Values{})
	if !errors.Is(err, errNoClientCredential) {
		t.Fatalf("err = %v, want errNoClientCredential", err)
	}
	for _, want := range []string{"claude", "Claude Max", "passthrough", "your own credential"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if _, err := credentialFor(p, http.Header{}, url.Values{"key": {"gem"}}); err != nil {
		t.Errorf("?key= alone: %v", err)
	}
	if _, err := credentialFor(&config.Provider{ID: "x", AuthMode: "steal"}, http.Header{}, url.Values{}); err == nil || errors.Is(err, errNoClientCredential) {
		t.Errorf("unknown mode: %v", err)
	}
}

// Error messages built from transport errors lose every secret the
// request carried, in the forms an error may echo it.
func TestUpstreamErrorRedactsTheForwardedCredential(t *testing.T) {
	tests := []struct {
		name   string
		cred   credential
		echoed []string
	}{
		{"override key", credential{mode: config.AuthModeOverride, key: "sk-provider-secret"}, []string{"sk-provider-secret"}},
		{"passthrough bearer", credential{mode: config.AuthModePassthrough,
			client: http.Header{"Authorization": {"Bearer sk-ant-oat01-secret"}}},
			[]string{"Bearer sk-ant-oat01-secret", "sk-ant-oat01-secret"}},
		{"passthrough query key", credential{mode: config.AuthModePassthrough, clientKeys: []string{"gem key/1"}},
			[]string{"gem key/1", url.QueryEscape("gem key/1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, secret := range tt.echoed {
				err := &url.Error{Op: "Post", URL: "https://x/?key=" + secret, Err: fmt.Errorf("tls: bad header %q", secret)}
				msg := upstreamError(err, tt.cred.secrets()...)
				if strings.Contains(msg, secret) || !strings.Contains(msg, "[redacted]") {
					t.Errorf("upstreamError = %q, still has %q", msg, secret)
				}
			}
		})
	}
	if got := (credential{mode: config.AuthModeNone}).secrets(); len(got) != 0 {
		t.Errorf("none has secrets %q", got)
	}
}
