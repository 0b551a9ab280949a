package plug

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/tailcfg"
)

// cgiEnv is the environment a CGI-style server (CGI, WSGI, Rack, PHP)
// builds from h: HTTP_ + the name upper-cased with '-' and '.' as '_'.
// Names that collide keep every value, as the application may read
// either.
func cgiEnv(h http.Header) map[string][]string {
	env := make(map[string][]string)
	for k, vs := range h {
		name := "HTTP_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(k))
		env[name] = append(env[name], vs...)
	}
	return env
}

// rawRequest writes req to addr byte for byte (no http.Header to
// canonicalize or refuse names) and returns the status code.
func rawRequest(t *testing.T, addr, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// spoofedSpellings are header lines a client may send to pose as someone
// else; every one must be gone before the server sees the request.
var spoofedSpellings = []struct {
	name  string
	lines string
}{
	{"underscores", "Tailscale_User_Login: evil\r\n"},
	{"lower case twice", "tailscale-user-login: evil\r\ntailscale-user-login: evil\r\n"},
	{"upper case underscores", "TAILSCALE_USER_LOGIN: evil\r\n"},
	{"dots", "Tailscale.User.Login: evil\r\n"},
	{"mixed separators", "Tailscale-User_Login: evil\r\nTailscale_Node-Name: evil\r\n"},
	{"prefixed", "X-Tailscale-User-Login: evil\r\n"},
	{"funnel marker underscores", "Tailscale_Funnel_Request: ?1\r\n"},
	{"tags and caps", "Tailscale_Tags: tag:admin\r\nTAILSCALE_APP_CAPABILITIES: {}\r\n"},
	{"headers info", "Tailscale-Headers-Info: x\r\n"},
	{"hop-by-hop trick", "Connection: keep-alive, Tailscale-User-Login, tailscale_node_name\r\n"},
	{"chunked with trailer", "Transfer-Encoding: chunked\r\nTrailer: Tailscale_User_Login\r\n"},
}

// TestHandlerStripsIdentitySpellings sends each spoofed spelling over a
// raw socket, from the tailnet and from Funnel, and checks what a
// CGI-style application behind ts-plug would read.
func TestHandlerStripsIdentitySpellings(t *testing.T) {
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
	whois := func(context.Context, string) (*apitype.WhoIsResponse, error) {
		return &apitype.WhoIsResponse{Node: &tailcfg.Node{Name: "laptop.example.ts.net."},
			UserProfile: &tailcfg.UserProfile{LoginName: "amy@example.com"}}, nil
	}
	fromTailnet := httptest.NewServer(testHandler(localTarget(t, up), whois, nil))
	defer fromTailnet.Close()
	fromFunnel := httptest.NewUnstartedServer(testHandler(localTarget(t, up), whois, nil))
	fromFunnel.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, funnelKey{}, true)
	}
	fromFunnel.Start()
	defer fromFunnel.Close()

	tests := []struct {
		name  string
		front *httptest.Server
		want  map[string]string // CGI name: the only value the application may see
	}{
		{"tailnet", fromTailnet, map[string]string{
			"HTTP_TAILSCALE_USER_LOGIN": "amy@example.com", "HTTP_TAILSCALE_NODE_NAME": "laptop.example.ts.net"}},
		{"funnel", fromFunnel, map[string]string{"HTTP_TAILSCALE_FUNNEL_REQUEST": "?1"}},
	}
	for _, tt := range tests {
		for _, sp := range spoofedSpellings {
			t.Run(tt.name+"/"+sp.name, func(t *testing.T) {
				body := ""
				if strings.Contains(sp.lines, "chunked") {
					body = "2\r\n{}\r\n0\r\nTailscale_User_Login: evil\r\n\r\n"
				}
				req := "POST /v1/x HTTP/1.1\r\nHost: llm.example.ts.net\r\nAuthorization: Bearer keep\r\n" +
					sp.lines + "\r\n" + body
				if code := rawRequest(t, tt.front.Listener.Addr().String(), req); code != 200 {
					t.Fatalf("status %d", code)
				}
				h := <-got
				env := cgiEnv(h)
				for k, vs := range env {
					want, ok := tt.want[k]
					if strings.Contains(k, "TAILSCALE") && (!ok || len(vs) != 1 || vs[0] != want) {
						t.Errorf("application reads %s = %q, want %q", k, vs, want)
					}
				}
				for k, want := range tt.want {
					if vs := env[k]; len(vs) != 1 || vs[0] != want {
						t.Errorf("application reads %s = %q, want %q", k, vs, want)
					}
				}
				if h.Get("Authorization") != "Bearer keep" {
					t.Errorf("Authorization lost: %v", h)
				}
			})
		}
	}
}

// TestHandlerKeepsOrdinaryUnderscoreHeaders: stripping is by the
// identity names, not by shape; other headers with '_' pass as sent.
func TestHandlerKeepsOrdinaryUnderscoreHeaders(t *testing.T) {
	got := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
	defer up.Close()
	front := httptest.NewServer(testHandler(localTarget(t, up), nil, nil))
	defer front.Close()
	code := rawRequest(t, front.Listener.Addr().String(),
		"GET / HTTP/1.1\r\nHost: x\r\nX_Request_Id: 42\r\nX-Api-Key: k\r\n\r\n")
	h := <-got
	if code != 200 || cgiEnv(h)["HTTP_X_REQUEST_ID"][0] != "42" || h.Get("X-Api-Key") != "k" {
		t.Errorf("status %d, headers %v", code, h)
	}
}
