package plug

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/ipn"
	"tailscale.com/tailcfg"
)

// localTarget is the Target of an httptest server.
func localTarget(t *testing.T, srv *httptest.Server) tunnel.Target {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	return tunnel.Target{Scheme: "http", Host: u.Hostname(), Port: port}
}

func testHandler(target tunnel.Target, whois WhoIsFunc, prefixes []string) http.Handler {
	p := &plug{o: options{capsPrefixes: prefixes}, whois: whois, stats: new(tunnel.Stats)}
	ready := make(chan struct{})
	close(ready)
	return p.handler(mapping{Kind: kindHTTP, Port: 80, Target: target}, ready)
}

func TestHandlerIdentityAndForwarding(t *testing.T) {
	var got *http.Request
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	whois := func(ctx context.Context, addr string) (*apitype.WhoIsResponse, error) {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			return nil, fmt.Errorf("unexpected address %q", addr)
		}
		return &apitype.WhoIsResponse{
			Node:        &tailcfg.Node{Name: "laptop.example.ts.net."},
			UserProfile: &tailcfg.UserProfile{LoginName: "amy@example.com", DisplayName: "Amélie"},
			CapMap:      tailcfg.PeerCapMap{"example.com/cap/llm": {`{"tier":"gold"}`}, "other/cap": {`1`}},
		}, nil
	}
	front := httptest.NewServer(testHandler(localTarget(t, up), whois, []string{"example.com/cap/"}))
	defer front.Close()

	req, _ := http.NewRequest("POST", front.URL+"/v1/chat/completions?x=1", strings.NewReader("{}"))
	req.Host = "llm.example.ts.net"
	req.Header.Set("Tailscale-User-Login", "ceo@example.com")
	req.Header.Set("Tailscale-Tags", "tag:admin")
	req.Header.Set("Authorization", "Bearer keep")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || got == nil {
		t.Fatalf("status %d", res.StatusCode)
	}
	checks := map[string]string{
		"Tailscale-User-Login":       "amy@example.com",
		"Tailscale-User-Name":        "=?utf-8?q?Am=C3=A9lie?=",
		"Tailscale-Node-Name":        "laptop.example.ts.net",
		"Tailscale-Tags":             "",
		"Tailscale-App-Capabilities": `{"example.com/cap/llm":[{"tier":"gold"}]}`,
		"Authorization":              "Bearer keep",
		"X-Forwarded-Host":           "llm.example.ts.net",
		"X-Forwarded-Proto":          "http",
	}
	for k, want := range checks {
		if v := got.Header.Get(k); v != want {
			t.Errorf("upstream saw %s = %q, want %q", k, v, want)
		}
	}
	if got.Host != "llm.example.ts.net" || got.URL.RequestURI() != "/v1/chat/completions?x=1" {
		t.Errorf("upstream saw Host %q URI %q", got.Host, got.URL.RequestURI())
	}
}

func TestHandlerWhoIsFailureSendsNoIdentity(t *testing.T) {
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer up.Close()
	whois := func(context.Context, string) (*apitype.WhoIsResponse, error) { return nil, errors.New("no peer") }
	front := httptest.NewServer(testHandler(localTarget(t, up), whois, nil))
	defer front.Close()
	req, _ := http.NewRequest("GET", front.URL, nil)
	req.Header.Set("Tailscale-User-Login", "ceo@example.com")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for k := range got {
		if strings.HasPrefix(strings.ToLower(k), "tailscale-") {
			t.Errorf("upstream saw %s = %q", k, got.Get(k))
		}
	}
}

func TestHandlerStreamsSSE(t *testing.T) {
	step := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-step:
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer up.Close()
	front := httptest.NewServer(testHandler(localTarget(t, up), nil, nil))
	defer front.Close()
	res, err := http.Get(front.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	for i := 0; i < 3; i++ {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q %v", i, line, err)
		}
		br.ReadString('\n')
		// The next event is sent only after this one arrived: a
		// buffering proxy would block here.
		step <- struct{}{}
	}
}

func TestHandlerUpstreamDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	target := tunnel.Target{Scheme: "http", Host: "127.0.0.1", Port: port}
	w := httptest.NewRecorder()
	testHandler(target, nil, nil).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	var body struct {
		Error struct{ Message, Type string }
	}
	json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != 502 || !strings.Contains(body.Error.Message, target.String()) || !strings.Contains(body.Error.Message, "is the server running") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

func TestUpstreamGate(t *testing.T) {
	ready := make(chan struct{})
	target := tunnel.Target{Scheme: "http", Host: "127.0.0.1", Port: 8080}
	h := upstreamGate(ready, target, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "has not answered yet") {
		t.Errorf("before the first answer: %d %s", w.Code, w.Body)
	}
	close(ready)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 204 {
		t.Errorf("after: %d", w.Code)
	}
}

func TestRedirectToHTTPS(t *testing.T) {
	w := httptest.NewRecorder()
	redirectToHTTPS("llm.example.ts.net").ServeHTTP(w, httptest.NewRequest("POST", "http://llm/v1/x?y=1", nil))
	if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != "https://llm.example.ts.net/v1/x?y=1" {
		t.Errorf("%d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestMarkFunnel(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	fc := &ipn.FunnelConn{Conn: a}
	tests := []struct {
		name string
		c    net.Conn
		want bool
	}{
		{"plain tailnet conn", a, false},
		{"funnel conn", fc, true},
		{"funnel conn under TLS", tls.Server(fc, &tls.Config{}), true},
		{"tailnet conn under TLS", tls.Server(a, &tls.Config{}), false},
	}
	for _, tt := range tests {
		if got := isFunnel(markFunnel(context.Background(), tt.c)); got != tt.want {
			t.Errorf("%s: funnel = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A funnel request carries the marker and no identity, whatever
	// WhoIs would say.
	var got http.Header
	h := &identify{
		whois: func(context.Context, string) (*apitype.WhoIsResponse, error) {
			return &apitype.WhoIsResponse{Node: &tailcfg.Node{Name: "x."}, UserProfile: &tailcfg.UserProfile{LoginName: "x@y"}}, nil
		},
		next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header }),
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Tailscale-User-Login", "ceo@example.com")
	h.ServeHTTP(httptest.NewRecorder(), r.WithContext(markFunnel(r.Context(), fc)))
	if got.Get("Tailscale-Funnel-Request") != "?1" || got.Get("Tailscale-User-Login") != "" || got.Get("Tailscale-Node-Name") != "" {
		t.Errorf("funnel request headers %v", got)
	}
}

func TestWaitAnswer(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close() // nothing answers yet
	for _, kind := range []string{kindHTTP, kindTCP} {
		t.Run(kind, func(t *testing.T) {
			m := mapping{Kind: kind, Target: tunnel.Target{Scheme: "http", Host: "127.0.0.1", Port: addr.Port}}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ready := make(chan struct{})
			go waitAnswer(ctx, m, ready)
			if kind == kindHTTP {
				// A listener that hangs up at once is not an HTTP answer,
				// and shows each probe: wait for two, then ready must
				// still be open.
				hangup, err := net.Listen("tcp", addr.String())
				if err != nil {
					t.Skip("port taken meanwhile:", err)
				}
				probes := make(chan struct{}, 2)
				go func() {
					for {
						c, err := hangup.Accept()
						if err != nil {
							return
						}
						c.Close()
						select {
						case probes <- struct{}{}:
						default:
						}
					}
				}()
				for range 2 {
					select {
					case <-probes:
					case <-ready:
						t.Fatal("ready after a probe the server hung up on")
					case <-ctx.Done():
						t.Fatal("the port was never probed")
					}
				}
				hangup.Close()
			} else {
				// An accepted connection is a tcp answer, so nothing can
				// show the probes here: give the prober a few intervals.
				time.Sleep(3 * probeInterval)
			}
			select {
			case <-ready:
				t.Fatal("ready before anything answered")
			default:
			}
			ln, err := net.Listen("tcp", addr.String())
			if err != nil {
				t.Skip("port taken meanwhile:", err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "loading model", 503) // any answer counts
			})}
			go srv.Serve(ln)
			defer srv.Close()
			select {
			case <-ready:
			case <-ctx.Done():
				t.Fatal("never noticed the server")
			}
		})
	}
}

// A caller cannot make the proxy delete its identity headers by naming
// them in Connection (hop-by-hop headers are removed after they are set).
func TestConnectionHeaderCannotStripIdentity(t *testing.T) {
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer up.Close()
	whois := func(context.Context, string) (*apitype.WhoIsResponse, error) {
		return &apitype.WhoIsResponse{Node: &tailcfg.Node{Name: "n."}, UserProfile: &tailcfg.UserProfile{LoginName: "amy@example.com"}}, nil
	}
	front := httptest.NewServer(testHandler(localTarget(t, up), whois, nil))
	defer front.Close()
	req, _ := http.NewRequest("GET", front.URL+"/", nil)
	req.Header.Set("Connection", "keep-alive, Tailscale-User-Login, tailscale-node-name")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got.Get("Tailscale-User-Login") != "amy@example.com" || got.Get("Tailscale-Node-Name") != "n" {
		t.Errorf("identity headers stripped via Connection: %v", got)
	}
}

// The upstream proxy copies bodies with the tunnel's pooled buffers, not
// a fresh 32 KiB buffer per response.
func TestUpstreamProxyUsesCopyBuffers(t *testing.T) {
	p, ok := newUpstreamProxy(tunnel.Target{Scheme: "http", Host: "127.0.0.1", Port: 8080}, http.DefaultTransport).(*httputil.ReverseProxy)
	if !ok {
		t.Fatal("newUpstreamProxy is not an httputil.ReverseProxy")
	}
	if p.BufferPool != tunnel.CopyBuffers {
		t.Errorf("upstream proxy's BufferPool is %v, want tunnel.CopyBuffers", p.BufferPool)
	}
}
