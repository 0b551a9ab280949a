package apis

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// headerNames returns h's keys, lower-cased and sorted.
func headerNames(h http.Header) []string {
	var names []string
	for k := range h {
		names = append(names, strings.ToLower(k))
	}
	slices.Sort(names)
	return names
}

func TestSanitizeRequestHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   http.Header
		keep []string // lower-case names expected to remain, sorted
	}{
		{
			name: "client credentials",
			in: http.Header{
				"Authorization":       {"Bearer -"},
				"X-Api-Key":           {"sk-ant-user-pasted"},
				"X-Goog-Api-Key":      {"not-needed"},
				"Proxy-Authorization": {"Basic abc"},
				"Api-Key":             {"azure"},
				"Cookie":              {"a=b"},
				"Content-Type":        {"application/json"},
			},
			keep: []string{"content-type"},
		},
		{
			name: "tailscale identity headers in any case",
			in: http.Header{
				"Tailscale-User-Login":       {"admin@example.com"},
				"Tailscale-User-Name":        {"Admin"},
				"tailscale-app-capabilities": {`{"tailscale.com/cap/aperture":[{"role":"admin"}]}`},
				"TAILSCALE-HEADERS-INFO":     {"x"},
				"Anthropic-Version":          {"2023-06-01"},
			},
			keep: []string{"anthropic-version"},
		},
		{
			name: "hop-by-hop and connection-named",
			in: http.Header{
				"Connection":        {"keep-alive, X-Secret-Hop", "x-other-hop"},
				"Keep-Alive":        {"timeout=5"},
				"Te":                {"trailers"},
				"Trailer":           {"X-Checksum"},
				"Transfer-Encoding": {"chunked"},
				"Upgrade":           {"websocket"},
				"Proxy-Connection":  {"keep-alive"},
				"X-Secret-Hop":      {"1"},
				"X-Other-Hop":       {"1"},
				"Anthropic-Beta":    {"a", "b"},
			},
			keep: []string{"anthropic-beta"},
		},
		{
			name: "forwarding claims and encodings",
			in: http.Header{
				"X-Forwarded-For":   {"1.2.3.4"},
				"X-Forwarded-Host":  {"evil"},
				"x-forwarded-proto": {"https"},
				"Forwarded":         {"for=1.2.3.4"},
				"X-Real-Ip":         {"1.2.3.4"},
				"Accept-Encoding":   {"gzip, br, zstd"},
				"User-Agent":        {"claude-cli/2.1"},
				"X-App":             {"cli"},
			},
			keep: []string{"user-agent", "x-app"},
		},
		{
			name: "agent headers pass through",
			in: http.Header{
				"Anthropic-Version":        {"2023-06-01"},
				"X-Claude-Code-Session-Id": {"u"},
				"Session-Id":               {"s"},
				"X-Stainless-Os":           {"Linux"},
				"Originator":               {"codex_exec"},
			},
			keep: []string{"anthropic-version", "originator", "session-id", "x-claude-code-session-id", "x-stainless-os"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.in.Clone()
			SanitizeRequestHeaders(h)
			if got := headerNames(h); !slices.Equal(got, tt.keep) {
				t.Errorf("kept %v, want %v", got, tt.keep)
			}
			for k, vs := range h {
				if !slices.Equal(vs, tt.in[k]) {
					t.Errorf("%s changed: %v -> %v", k, tt.in[k], vs)
				}
			}
		})
	}
}

func TestSanitizeResponseHeaders(t *testing.T) {
	h := http.Header{
		"Connection":                           {"close, X-Hop"},
		"X-Hop":                                {"1"},
		"Transfer-Encoding":                    {"chunked"},
		"Set-Cookie":                           {"__cf_bm=abc; path=/"},
		"X-Api-Key":                            {"sk-echo"},
		"Authorization":                        {"Bearer sk"},
		"Alt-Svc":                              {`h3=":443"`},
		"Tailscale-User-Login":                 {"x"},
		"Content-Type":                         {"text/event-stream"},
		"Request-Id":                           {"req_1"},
		"Anthropic-Ratelimit-Tokens-Remaining": {"1000"},
		"Retry-After":                          {"3"},
	}
	SanitizeResponseHeaders(h)
	want := []string{"anthropic-ratelimit-tokens-remaining", "content-type", "request-id", "retry-after"}
	if got := headerNames(h); !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
}

func TestInjectKey(t *testing.T) {
	tests := []struct {
		auth    string
		key     string
		want    http.Header
		wantErr bool
	}{
		{"bearer", "sk-1", http.Header{"Authorization": {"Bearer sk-1"}}, false},
		{"", "sk-1", http.Header{"Authorization": {"Bearer sk-1"}}, false},
		{"Bearer", "sk-1", http.Header{"Authorization": {"Bearer sk-1"}}, false},
		{"x-api-key", "sk-ant", http.Header{"X-Api-Key": {"sk-ant"}}, false},
		{"x-goog-api-key", "AIza", http.Header{"X-Goog-Api-Key": {"AIza"}}, false},
		{"cf-aig-authorization", "cf", http.Header{"Cf-Aig-Authorization": {"Bearer cf"}}, false},
		{"bearer", "", http.Header{}, false},
		{"basic", "x", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.auth+"/"+tt.key, func(t *testing.T) {
			// Stale credentials of every kind, in odd cases, must go.
			h := http.Header{
				"authorization":  {"Bearer -"},
				"X-Api-Key":      {"client"},
				"x-goog-api-key": {"client"},
				"Content-Type":   {"application/json"},
			}
			err := InjectKey(h, tt.auth, tt.key)
			if tt.wantErr {
				if !errors.Is(err, ErrUnknownAuthorization) {
					t.Fatalf("err = %v, want ErrUnknownAuthorization", err)
				}
				if h.Get("X-Api-Key") != "client" {
					t.Error("failed InjectKey modified headers")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want["Content-Type"] = []string{"application/json"}
			if !reflect.DeepEqual(h, tt.want) {
				t.Errorf("headers = %v, want %v", h, tt.want)
			}
		})
	}
}

func TestAddHeaders(t *testing.T) {
	h := http.Header{"Anthropic-Beta": {"client-beta"}}
	err := AddHeaders(h, []string{
		"HTTP-Referer: https://example.com",
		"X-Title:My App ",
		"anthropic-beta: config-beta",
		"X-Empty:",
		"no colon here",
		"Bad Name: v",
		": empty name",
		"X-Inject: a\r\nEvil: 1",
		"X-Colon: a:b",
	})
	want := http.Header{
		"Anthropic-Beta": {"client-beta", "config-beta"},
		"Http-Referer":   {"https://example.com"},
		"X-Title":        {"My App"},
		"X-Empty":        {""},
		"X-Colon":        {"a:b"},
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("headers = %v, want %v", h, want)
	}
	if err == nil {
		t.Fatal("no error for bad lines")
	}
	for _, bad := range []string{"no colon here", "Bad Name", "empty name", "X-Inject"} {
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("error %q does not report %q", err, bad)
		}
	}
	if err := AddHeaders(http.Header{}, []string{"A: b"}); err != nil {
		t.Errorf("all-good lines: err = %v", err)
	}
}

func TestStripKeyQuery(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"alt=sse&key=AIzaSECRET", "alt=sse"},
		{"key=a&key=b", ""},
		{"KEY=a&alt=sse", "alt=sse"},
		{"alt=sse", "alt=sse"},
		{"keyword=x", "keyword=x"},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		StripKeyQuery(q)
		if got := q.Encode(); got != tt.want {
			t.Errorf("StripKeyQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactHeaders(t *testing.T) {
	in := http.Header{
		"Authorization":                        {"Bearer sk-live"},
		"x-api-key":                            {"sk-ant"},
		"X-Goog-Api-Key":                       {"AIza"},
		"Cookie":                               {"a=b", "c=d"},
		"Set-Cookie":                           {"s=1"},
		"X-Custom-Secret":                      {"s"},
		"X-Amz-Security-Token":                 {"t"},
		"X-Auth-Token":                         {"t"},
		"Content-Type":                         {"application/json"},
		"Anthropic-Ratelimit-Tokens-Remaining": {"1000"},
		"X-Ratelimit-Remaining-Tokens":         {"5"},
		"X-Claude-Code-Session-Id":             {"uuid"},
	}
	orig := in.Clone()
	got := RedactHeaders(in)
	want := http.Header{
		"Authorization":                        {"REDACTED"},
		"X-Api-Key":                            {"REDACTED"},
		"X-Goog-Api-Key":                       {"REDACTED"},
		"Cookie":                               {"REDACTED", "REDACTED"},
		"Set-Cookie":                           {"REDACTED"},
		"X-Custom-Secret":                      {"REDACTED"},
		"X-Amz-Security-Token":                 {"REDACTED"},
		"X-Auth-Token":                         {"REDACTED"},
		"Content-Type":                         {"application/json"},
		"Anthropic-Ratelimit-Tokens-Remaining": {"1000"},
		"X-Ratelimit-Remaining-Tokens":         {"5"},
		"X-Claude-Code-Session-Id":             {"uuid"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RedactHeaders = %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Error("RedactHeaders modified its input")
	}
	got["Content-Type"][0] = "changed"
	if in.Get("Content-Type") != "application/json" {
		t.Error("RedactHeaders shares value slices with its input")
	}
}

// The gateway strips identity headers under every spelling a server may
// fold to one, by the tunnels' own rule: a provider on the tailnet behind
// a CGI-style server must not read a client's Tailscale_User_Login.
func TestSanitizeStripsEverySpellingOfIdentityHeaders(t *testing.T) {
	for _, name := range []string{"Tailscale-User-Login", "Tailscale_User_Login", "TAILSCALE.USER.LOGIN", "X-Tailscale-User-Login", "tailscale--tags"} {
		for _, sanitize := range []func(http.Header){SanitizeRequestHeaders, SanitizeResponseHeaders} {
			h := http.Header{name: {"evil"}, "Content-Type": {"application/json"}}
			sanitize(h)
			if _, ok := h[name]; ok || h.Get("Content-Type") == "" {
				t.Errorf("%s: after sanitizing, %v", name, h)
			}
		}
	}
}
