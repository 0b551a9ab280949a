package apis

import (
	"errors"
	"net/http"
	"net/textproto"
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

// redactHeadersReference is RedactHeaders as it was before it copied
// into one array: a copy per header, names lowered by strings.ToLower.
func redactHeadersReference(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if isSecretHeaderReference(strings.ToLower(k)) {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = redactedValue
			}
			out[ck] = append(out[ck], red...)
			continue
		}
		out[ck] = append(out[ck], vs...)
	}
	return out
}

// isSecretHeaderReference is isSecretHeader as it was, on strings.
func isSecretHeaderReference(lk string) bool {
	if slices.Contains(credentialHeaders, lk) || lk == "set-cookie" || lk == "set-cookie2" {
		return true
	}
	for _, s := range []string{"api-key", "apikey", "api_key", "secret", "password", "authorization", "credential", "cookie"} {
		if strings.Contains(lk, s) {
			return true
		}
	}
	return strings.HasSuffix(lk, "token") || strings.Contains(lk, "-token-") || strings.Contains(lk, "_token_")
}

// FuzzRedactHeaders: the one-array copy redacts exactly what a copy per
// header did, empty and nil values and two spellings of one name
// included, and shares no value with its input.
func FuzzRedactHeaders(f *testing.F) {
	f.Add("X-Api-Key", "sk", "x-api-key", "sk2", "Content-Type", "a", 1)
	f.Add("Authorization", "", "Cookie", "c", "X-Empty", "", 0)
	f.Add("X-\u212Aey", "v", "SET-COOKIE", "s", "x-ſecret", "v", 2)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string, shape int) {
		h := http.Header{k1: {v1, v2}, k2: {v2}, k3: nil}
		switch shape % 3 {
		case 1:
			h[k3] = []string{}
		case 2:
			h[k3] = []string{v3, v1}
		}
		got, want := RedactHeaders(h), redactHeadersReference(h)
		if len(got) != len(want) {
			t.Fatalf("RedactHeaders(%q) = %q, want %q", h, got, want)
		}
		for k, wv := range want {
			gv, ok := got[k]
			// Two spellings are joined in map order: compare as sets.
			if !ok || (gv == nil) != (wv == nil) || !slices.Equal(slices.Sorted(slices.Values(gv)), slices.Sorted(slices.Values(wv))) {
				t.Fatalf("RedactHeaders(%q)[%q] = %q, want %q", h, k, gv, wv)
			}
			for i := range gv {
				gv[i] = "changed"
			}
		}
		for k, vs := range h {
			for _, v := range vs {
				if v == "changed" {
					t.Fatalf("RedactHeaders shares %q's values with its input", k)
				}
			}
		}
	})
}

// FuzzLowerName: lowering a name for matching is strings.ToLower, for
// any bytes.
func FuzzLowerName(f *testing.F) {
	f.Add("Content-Type")
	f.Add("X-\u212Aey-ſ\xff")
	f.Add(strings.Repeat("A", lowerNameBuf+1))
	f.Fuzz(func(t *testing.T, name string) {
		var buf [lowerNameBuf]byte
		if got, want := string(lowerName(buf[:0], name)), strings.ToLower(name); got != want {
			t.Fatalf("lowerName(%q) = %q, want %q", name, got, want)
		}
	})
}

// TestHeaderFiltersAllocate: every request's headers and its answer's
// pass these; matching a canonical name allocates nothing (it took a
// strings.ToLower per header), a redacted copy takes its map and one
// array of values (it took one per header), and listing it for a
// capture's encoding takes nothing.
func TestHeaderFiltersAllocate(t *testing.T) {
	// Nothing here is removed, so every run matches every name.
	req := http.Header{
		"Content-Type": {"application/json"}, "User-Agent": {"cli/1"}, "Accept": {"application/json"},
		"X-Stainless-Lang": {"js"}, "Anthropic-Version": {"2023-06-01"},
	}
	res := http.Header{
		"Content-Type": {"application/json"}, "Date": {"Mon"}, "X-Request-Id": {"r"},
		"Openai-Processing-Ms": {"12"}, "X-Ratelimit-Remaining-Tokens": {"5"},
	}
	withKey := req.Clone()
	withKey.Set("Authorization", "Bearer sk")
	for _, tt := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"SanitizeRequestHeaders", 0, func() { SanitizeRequestHeaders(req) }},
		{"SanitizeResponseHeaders", 0, func() { SanitizeResponseHeaders(res) }},
		{"RedactHeaders", 3, func() { RedactHeaders(withKey) }},
		{"AppendRedactedHeaders", 0, func() {
			var stack [16]RedactedHeader
			AppendRedactedHeaders(stack[:0], withKey)
		}},
	} {
		if n := testing.AllocsPerRun(100, tt.f); n > tt.max {
			t.Errorf("%s: %v allocations, want at most %v", tt.name, n, tt.max)
		}
	}
}

// TestRedactHeadersJoinsSpellingsInOrder: two spellings of one name are
// joined in the byte order of their spellings, whatever order the map
// yields them in, so that a capture of the same headers stores the same
// bytes (they were joined in map order).
func TestRedactHeadersJoinsSpellingsInOrder(t *testing.T) {
	h := http.Header{"x-trace": {"c"}, "X-Trace": {"b"}, "X-TRACE": {"a"}, "x-TRACE": nil,
		"X-Api-Key": {"k1"}, "x-api-key": {"k2", "k3"}, "X-Empty": {}, "x-empty": nil}
	want := http.Header{"X-Trace": {"a", "b", "c"}, "X-Api-Key": {"REDACTED", "REDACTED", "REDACTED"}, "X-Empty": nil}
	for range 50 { // map order varies from one range to the next
		if got := RedactHeaders(h); !reflect.DeepEqual(got, want) {
			t.Fatalf("RedactHeaders = %q, want %q", got, want)
		}
	}
}

// TestAppendRedactedHeaders: the entries are RedactHeaders' copy, listed
// rather than built: names sorted, the spellings of one name together
// in the order RedactHeaders joins them, secret values redacted.
func TestAppendRedactedHeaders(t *testing.T) {
	h := http.Header{"x-trace": {"c"}, "X-Trace": {"b"}, "Content-Type": {"application/json"},
		"authorization": {"Bearer sk-live"}, "Cookie": {"a=b", "c=d"}, "X-Nil": nil}
	got := AppendRedactedHeaders(nil, h)
	want := []RedactedHeader{
		{Name: "Authorization", Values: []string{"REDACTED"}},
		{Name: "Content-Type", Values: []string{"application/json"}},
		{Name: "Cookie", Values: []string{"REDACTED", "REDACTED"}},
		{Name: "X-Nil", Values: nil},
		{Name: "X-Trace", Values: []string{"b"}},
		{Name: "X-Trace", Values: []string{"c"}},
	}
	if len(got) != len(want) {
		t.Fatalf("AppendRedactedHeaders = %q, want %q", got, want)
	}
	for i := range got {
		if got[i].Name != want[i].Name || !slices.Equal(got[i].Values, want[i].Values) {
			t.Errorf("entry %d = %q %q, want %q %q", i, got[i].Name, got[i].Values, want[i].Name, want[i].Values)
		}
	}
	// A secret sent more often than the shared run of redacted values.
	many := make([]string, 20)
	for i := range many {
		many[i] = "sk-live"
	}
	if es := AppendRedactedHeaders(nil, http.Header{"X-Api-Key": many}); len(es) != 1 || len(es[0].Values) != 20 || slices.Contains(es[0].Values, "sk-live") {
		t.Errorf("20 keys: %q", es)
	}
}

func TestIsSecretHeaderName(t *testing.T) {
	for _, tt := range []struct {
		name   string
		secret bool
	}{
		{"Authorization", true},
		{"  x-API-Key ", true},
		{"X-Goog-Api-Key", true},
		{"Set-Cookie", true},
		{"x-refresh-token", true},
		{"X-Session-Token-Id", true},
		{"anthropic-version", false},
		{"X-Tokens-Used", false},
		{"X-ПАРОЛЬ-password", true}, // non-ASCII: lowered the slow way
		{"Content-Type", false},
	} {
		if got := IsSecretHeaderName(tt.name); got != tt.secret {
			t.Errorf("IsSecretHeaderName(%q) = %v, want %v", tt.name, got, tt.secret)
		}
	}
}
