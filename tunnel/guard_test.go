package tunnel

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestBrowserGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	g := &BrowserGuard{AllowedOrigins: []string{"http://localhost:3000"}, AllowedHosts: []string{"devbox"}, Next: ok}
	tests := []struct {
		name    string
		host    string
		headers map[string]string
		want    int
	}{
		{"curl", "localhost:9996", nil, 204},
		{"ip literal", "127.0.0.1:9996", nil, 204},
		{"ipv6 literal", "[::1]:9996", nil, 204},
		{"allowed name", "devbox:9996", nil, 204},
		{"rebinding", "evil.example.com:9996", nil, 403},
		{"same origin dashboard", "localhost:9996", map[string]string{"Origin": "http://localhost:9996", "Sec-Fetch-Site": "same-origin"}, 204},
		{"cross-site origin", "localhost:9996", map[string]string{"Origin": "https://evil.example.com"}, 403},
		{"other local port", "localhost:9996", map[string]string{"Origin": "http://localhost:8080"}, 403},
		{"allowed origin", "localhost:9996", map[string]string{"Origin": "http://localhost:3000"}, 204},
		{"null origin", "localhost:9996", map[string]string{"Origin": "null"}, 403},
		{"trailing-dot rebinding", "evil.example.com.:9996", nil, 403},
		{"allowed name, any case, trailing dot", "DevBox.:9996", nil, 204},
		{"sec-fetch cross-site no origin", "localhost:9996", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"sec-fetch none (typed url)", "localhost:9996", map[string]string{"Sec-Fetch-Site": "none"}, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/messages", nil)
			r.Host = tt.host
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d (%s)", w.Code, tt.want, w.Body)
			}
		})
	}
}

// The tunnel and the gateway admit an opaque origin by the same rule
// (webguard.OriginListed): "*" does not, a list naming "null" does.
func TestBrowserGuardNullOrigin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	for _, tt := range []struct {
		allowed []string
		origin  string
		want    int
	}{
		{[]string{"*"}, "null", 403},
		{[]string{"*"}, "https://app.example", 204},
		{[]string{"null"}, "null", 204},
		{[]string{"null"}, "https://app.example", 403},
	} {
		g := &BrowserGuard{AllowedOrigins: tt.allowed, Next: ok}
		r := httptest.NewRequest("POST", "/v1/messages", nil)
		r.Host = "localhost:9996"
		r.Header.Set("Origin", tt.origin)
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("-allow-origin %q, Origin %s: status %d, want %d (%s)", tt.allowed, tt.origin, w.Code, tt.want, w.Body)
		}
	}
}
