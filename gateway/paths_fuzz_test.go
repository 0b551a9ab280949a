package gateway

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
)

// catchTransport records what the gateway sends upstream and answers 404
// without a network.
type catchTransport struct {
	mu   sync.Mutex
	sent []*http.Request
}

func (c *catchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.sent = append(c.sent, r)
	c.mu.Unlock()
	return &http.Response{StatusCode: 404, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

func (c *catchTransport) take() []*http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sent
	c.sent = nil
	return s
}

// FuzzForwardedPathIsTheAuthorizedPath: for any request target, the
// gateway either forwards nothing, or forwards a request whose path the
// provider decodes to exactly the path the gateway routed (with "/v1"
// dropped or added as JoinURL documents), on the same route, for the
// same response ID and model.
func FuzzForwardedPathIsTheAuthorizedPath(f *testing.F) {
	for _, s := range []string{
		"/v1/chat/completions", "/v1/responses/resp_%41BC", "/v1/responses/..%2F..%2Fadmin",
		"/v1/responses/resp_1%252F..", "/v1/%2e%2e/x", "/v1beta/models/gemini-2.5-flash%3AgenerateContent",
		"/v1beta/models/gemini/gemini-2.5-flash:generateContent", "/v1/responses/resp_1/cancel",
		"/v1/responses/resp_1%00", "/v1/responses/resp_1%3Fstream=true", "/models/gemini-2.5-flash:countTokens?alt=sse",
		"/v1/messages?beta=true&key=x",
	} {
		f.Add("POST", s)
		f.Add("GET", s)
	}
	tr := &catchTransport{}
	cfg, diags, err := config.Parse([]byte(strings.ReplaceAll(allAPIs, "%[1]s", "http://provider.example")))
	if err != nil {
		f.Fatal(err, diags)
	}
	gw, err := New(cfg, nil, Options{Ledger: &recordingSink{noCaptures: true}, Transport: tr, Logf: func(string, ...any) {}})
	if err != nil {
		f.Fatal(err)
	}
	h := gw.LocalHandler()
	f.Fuzz(func(t *testing.T, method, target string) {
		if method != "GET" && method != "POST" && method != "DELETE" {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
			method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")))
		if err != nil {
			return // net/http's server answers 400 itself
		}
		req.RemoteAddr = "127.0.0.1:5000"
		h.ServeHTTP(httptest.NewRecorder(), req)
		sent := tr.take()
		if len(sent) == 0 {
			return
		}
		// What the gateway authorized is what it routed: the path as
		// net/http decoded it, once.
		authorized, ok := apis.Detect(method, req.URL.Path)
		if len(sent) != 1 || !ok {
			t.Fatalf("%s %q: forwarded %d requests for a path Detect refuses (%v)", method, target, len(sent), ok)
		}
		up := sent[0].URL
		// The provider parses the request line it receives.
		got, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + up.RequestURI() + " HTTP/1.1\r\nHost: p\r\n\r\n")))
		if err != nil {
			t.Fatalf("%s %q: provider cannot parse %q: %v", method, target, up.RequestURI(), err)
		}
		// A provider/model FQN goes upstream as the provider's model.
		want := req.URL.Path
		if fqn := authorized.Model; strings.HasPrefix(fqn, "gemini/") {
			want = strings.Replace(want, "/models/"+fqn+":", "/models/"+strings.TrimPrefix(fqn, "gemini/")+":", 1)
		}
		p := got.URL.Path
		if p != want && p != "/v1"+want && "/v1"+p != want {
			t.Fatalf("%s %q: provider reads %q, gateway authorized %q", method, target, p, want)
		}
		upRoute, ok := apis.Detect(method, p)
		if !ok {
			t.Fatalf("%s %q: provider path %q is no route", method, target, p)
		}
		if m := authorized.Model; m != upRoute.Model && m != "gemini/"+upRoute.Model {
			t.Fatalf("%s %q: authorized model %q, provider asked for %q", method, target, m, upRoute.Model)
		}
		upRoute.Model = authorized.Model
		if upRoute != authorized {
			t.Fatalf("%s %q: authorized %+v, provider routes %+v", method, target, authorized, upRoute)
		}
		if strings.Contains(strings.ToLower(got.URL.RawQuery), "key=") {
			t.Fatalf("%s %q: key query forwarded: %q", method, target, got.URL.RawQuery)
		}
	})
}
