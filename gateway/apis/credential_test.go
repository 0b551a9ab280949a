package apis

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
)

// ClientCredentials picks exactly the credential headers a passthrough
// provider is sent, in whatever letter case they arrive.
func TestClientCredentials(t *testing.T) {
	tests := []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{
			name: "Claude Code with a Pro/Max login",
			in: http.Header{
				"Authorization":  {"Bearer sk-ant-oat01-token"},
				"Anthropic-Beta": {"oauth-2025-04-20"},
				"Content-Type":   {"application/json"},
			},
			want: http.Header{"Authorization": {"Bearer sk-ant-oat01-token"}},
		},
		{
			name: "Codex with a ChatGPT login: the account id is not a credential",
			in: http.Header{
				"Authorization":      {"Bearer eyJhbGciOi.jwt"},
				"Chatgpt-Account-Id": {"acct-1"},
			},
			want: http.Header{"Authorization": {"Bearer eyJhbGciOi.jwt"}},
		},
		{
			name: "keys in any letter case, canonicalized",
			in: http.Header{
				"x-api-key":      {"sk-ant-key"},
				"X-GOOG-API-KEY": {"gem-key"},
				"api-key":        {"azure-key"},
			},
			want: http.Header{"X-Api-Key": {"sk-ant-key"}, "X-Goog-Api-Key": {"gem-key"}, "Api-Key": {"azure-key"}},
		},
		{
			name: "the proxy's and the browser's credentials stay behind",
			in: http.Header{
				"Proxy-Authorization": {"Basic cHJveHk="},
				"Cookie":              {"session=1"},
				"X-Api-Key":           {"sk-key"},
			},
			want: http.Header{"X-Api-Key": {"sk-key"}},
		},
		{
			name: "blank values are no credential",
			in:   http.Header{"Authorization": {""}, "X-Api-Key": {"  "}},
			want: nil,
		},
		{
			name: "none sent",
			in:   http.Header{"Content-Type": {"application/json"}},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClientCredentials(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ClientCredentials = %v, want %v", got, tt.want)
			}
		})
	}
}

// The copy is the caller's to keep: editing it leaves the request alone.
func TestClientCredentialsCopies(t *testing.T) {
	in := http.Header{"Authorization": {"Bearer a"}}
	ClientCredentials(in)["Authorization"][0] = "changed"
	if in.Get("Authorization") != "Bearer a" {
		t.Errorf("ClientCredentials shares the request's slice")
	}
}

func TestKeyQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{"key=gem&alt=sse", []string{"gem"}},
		{"KEY=gem", []string{"gem"}},
		{"alt=sse&key=", nil},
		{"alt=sse", nil},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := KeyQuery(q); !slices.Equal(got, tt.want) {
			t.Errorf("KeyQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestRemoveCredentials(t *testing.T) {
	h := http.Header{
		"Authorization": {"Bearer a"}, "x-api-key": {"b"}, "X-Goog-Api-Key": {"c"},
		"Cf-Aig-Authorization": {"Bearer d"}, "Content-Type": {"application/json"},
	}
	RemoveCredentials(h)
	if got := headerNames(h); !slices.Equal(got, []string{"content-type"}) {
		t.Errorf("left %q, want only content-type", got)
	}
}
