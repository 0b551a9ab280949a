package tunnel

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/tunnel/headername"
	"github.com/tsplug/ts-plug/tunnel/sockowner"
)

// TestLocalUserHeader: a forwarder with SetLocalUserHeader names the
// real owner of the client's socket (this test's user) and only that,
// whatever the client sent in any spelling of the header.
func TestLocalUserHeader(t *testing.T) {
	if !sockowner.Supported {
		t.Skip("socket owners are only known on Linux")
	}
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	f := NewHTTPForwarder(Target{Scheme: "http", Host: "ai", Port: 80}, NewTransport(loopbackDial(u.Host), Timeouts{}))
	var logged []string
	f.SetHeaders = SetLocalUserHeader(func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) })
	front := httptest.NewUnstartedServer(f)
	front.Config.ConnContext = LocalUserConnContext
	front.Start()
	defer front.Close()

	want := sockowner.UserName(uint32(os.Getuid()))
	for _, forged := range []string{HeaderLocalUser, "Tailscale_Local_User", "tailscale-local-user", "X-Tailscale-Local-User"} {
		t.Run(forged, func(t *testing.T) {
			req, _ := http.NewRequest("GET", front.URL+"/v1/models", nil)
			req.Header.Set(forged, "mallory")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if v := got.Values(HeaderLocalUser); len(v) != 1 || v[0] != want {
				t.Errorf("%s = %q, want [%q]", HeaderLocalUser, v, want)
			}
			for k := range got {
				if k != HeaderLocalUser && headername.Reserved(k) {
					t.Errorf("client's %s reached the target as %s", forged, k)
				}
			}
		})
	}
	if len(logged) != 0 {
		t.Errorf("logged %q", logged)
	}
}

// Without the connection's addresses (a server not set up for it) the
// header is left out and the failure logged once per connection.
func TestLocalUserHeaderUnknown(t *testing.T) {
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	f := NewHTTPForwarder(Target{Scheme: "http", Host: "ai", Port: 80}, NewTransport(loopbackDial(u.Host), Timeouts{}))
	var logged []string
	f.SetHeaders = SetLocalUserHeader(func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) })
	front := httptest.NewServer(f) // no LocalUserConnContext
	defer front.Close()
	req, _ := http.NewRequest("GET", front.URL, nil)
	req.Header.Set(HeaderLocalUser, "mallory")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if v := got.Values(HeaderLocalUser); len(v) != 0 {
		t.Errorf("%s = %q, want none", HeaderLocalUser, v)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "unknown") {
		t.Errorf("logged %q, want one line saying the user is unknown", logged)
	}
}

// A connection that sends no request costs no owner lookup: a local
// process opening connections by the thousand makes ts-unplug read the
// socket table not once per connection, but once per connection that
// asks for something.
func TestLocalUserLookupOnlyForRequests(t *testing.T) {
	if !sockowner.Supported {
		t.Skip("socket owners are only known on Linux")
	}
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _, err := LocalUser(r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		io.WriteString(w, name)
	}))
	front.Config.ConnContext = LocalUserConnContext
	front.Start()
	defer front.Close()
	before := ownerLookupsStarted.Load()
	for range 20 {
		c, err := net.Dial("tcp", front.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	res, err := http.Get(front.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want := sockowner.UserName(uint32(os.Getuid())); string(b) != want {
		t.Errorf("owner %q, want %q", b, want)
	}
	if n := ownerLookupsStarted.Load() - before; n != 1 {
		t.Errorf("21 connections, one request: %d owner lookups, want 1", n)
	}
}
