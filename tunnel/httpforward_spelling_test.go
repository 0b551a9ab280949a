package tunnel

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// TestHTTPForwarderStripsEverySpelling writes each request over a raw
// socket (so names reach ts-unplug exactly as sent, not canonicalized by
// http.Header) and checks that no spelling of a Tailscale-* header goes
// on into the tailnet.
func TestHTTPForwarderStripsEverySpelling(t *testing.T) {
	got := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := r.Header.Clone()
		for k, v := range r.Trailer {
			h[k] = append(h[k], v...)
		}
		got <- h
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	f := NewHTTPForwarder(Target{Scheme: "http", Host: "ai", Port: 80}, NewTransport(loopbackDial(u.Host), Timeouts{}))
	front := httptest.NewServer(f)
	defer front.Close()

	tests := []struct{ name, lines, body string }{
		{"canonical", "Tailscale-User-Login: evil\r\n", ""},
		{"lower case twice", "tailscale-user-login: evil\r\ntailscale-user-login: evil\r\n", ""},
		{"underscores", "Tailscale_User_Login: evil\r\n", ""},
		{"upper case underscores", "TAILSCALE_USER_LOGIN: evil\r\n", ""},
		{"dots", "Tailscale.User.Login: evil\r\n", ""},
		{"prefixed", "X-Tailscale-User-Login: evil\r\n", ""},
		{"caps", "Tailscale_App_Capabilities: {}\r\n", ""},
		{"trailer", "Transfer-Encoding: chunked\r\nTrailer: Tailscale_User_Login\r\n",
			"2\r\n{}\r\n0\r\nTailscale_User_Login: evil\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", front.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "POST /v1/x HTTP/1.1\r\nHost: localhost\r\nX_Request_Id: 7\r\n"+tt.lines+"\r\n"+tt.body)
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			h := <-got
			for k, v := range h {
				if IsReservedHeader(k) {
					t.Errorf("%s: %q reached the tailnet", k, v)
				}
			}
			// Go keeps '_' names apart, but canonicalizes their case.
			if len(h["X_request_id"]) != 1 {
				t.Errorf("ordinary underscore header lost: %v", h)
			}
		})
	}
}
