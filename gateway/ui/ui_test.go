package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newReq(viewer, path string) *http.Request {
	req := httptest.NewRequest("GET", "http://ai"+path, nil)
	req.Header.Set(viewerHeader, viewer)
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestSecurityHeadersAndMethods(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	w := serve(f.h, newReq("bob", "/ui/"))
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if w.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options = %q", w.Header().Get("X-Frame-Options"))
	}
	req := newReq("alice", "/ui/settings")
	req.Method = "POST"
	if w := serve(f.h, req); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST to a page: %d", w.Code)
	}
	if w := serve(f.h, newReq("bob", "/ui/nope")); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "no such page") {
		t.Errorf("unknown page: %d %s", w.Code, w.Body)
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	for path, ctype := range map[string]string{
		"/ui/static/style.css":   "text/css",
		"/ui/static/settings.js": "javascript",
		"/ui/static/copy.js":     "javascript",
	} {
		w := serve(f.h, newReq("", path))
		if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), ctype) || w.Body.Len() == 0 {
			t.Errorf("%s: %d %q", path, w.Code, w.Header().Get("Content-Type"))
		}
	}
}

func TestScope(t *testing.T) {
	t.Parallel()
	admin := Viewer{Principal: alice, Admin: true}
	user := Viewer{Principal: bob}
	tests := []struct {
		v       Viewer
		asked   string
		want    string
		wantErr bool
	}{
		{admin, "", "", false},
		{admin, bob, bob, false},
		{user, "", bob, false},
		{user, bob, bob, false},
		{user, alice, "", true},
	}
	for _, tt := range tests {
		got, err := scope(tt.v, tt.asked)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("scope(%s, %q) = %q, %v", tt.v.Principal, tt.asked, got, err)
		}
	}
}
