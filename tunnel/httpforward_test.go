package tunnel

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// loopbackDial stands in for a tailnet dial: every address goes to addr.
func loopbackDial(addr string) DialFunc {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func TestHTTPForwarderHeaders(t *testing.T) {
	var got http.Header
	var gotHost string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		gotHost = r.Host
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	target := Target{Scheme: "http", Host: "ai", Port: 80}
	f := NewHTTPForwarder(target, NewTransport(loopbackDial(u.Host), Timeouts{}))
	front := httptest.NewServer(f)
	defer front.Close()

	req, _ := http.NewRequest("GET", front.URL+"/v1/models", nil)
	req.Header.Set("Tailscale-User-Login", "forged@example.com")
	req.Header.Set("tailscale-app-capabilities", `{"x":1}`)
	req.Header.Set("Authorization", "Bearer keep-me")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if gotHost != "ai" {
		t.Errorf("upstream Host = %q, want ai", gotHost)
	}
	for k := range got {
		if strings.HasPrefix(strings.ToLower(k), "tailscale-") {
			t.Errorf("forged header %s reached the target", k)
		}
	}
	if got.Get("Authorization") != "Bearer keep-me" {
		t.Errorf("Authorization not passed through: %q", got.Get("Authorization"))
	}
	fu, _ := url.Parse(front.URL)
	if got.Get("X-Forwarded-Host") != fu.Host || got.Get("X-Forwarded-Proto") != "http" || got.Get("X-Forwarded-For") == "" {
		t.Errorf("X-Forwarded-* = %q %q %q", got.Get("X-Forwarded-Host"), got.Get("X-Forwarded-Proto"), got.Get("X-Forwarded-For"))
	}
}

func TestHTTPForwarderTargetDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	f := NewHTTPForwarder(Target{Scheme: "http", Host: "ai", Port: 80}, NewTransport(loopbackDial(addr), Timeouts{}))
	w := httptest.NewRecorder()
	f.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	if !strings.Contains(w.Body.String(), "http://ai") {
		t.Errorf("502 body does not name the target: %s", w.Body)
	}
}

func TestStatsCount(t *testing.T) {
	var st Stats
	h := st.Count(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write([]byte(strconv.Itoa(len(b))))
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("hello")))
	s := st.Snapshot()
	if s.Requests != 1 || s.BytesIn != 5 || s.BytesOut != 1 {
		t.Errorf("stats = %+v", s)
	}
}
