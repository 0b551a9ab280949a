package unplug

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"github.com/tsplug/ts-plug/internal/testbin"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
)

const testHTTPSName = "unplug.example.ts.net"

// testCA is a certificate authority made for one test, standing in for
// Let's Encrypt, and the pool a client that trusts it uses.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ts-unplug test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf issues a server certificate for name, valid until notAfter.
func (ca *testCA) leaf(t *testing.T, name string, notAfter time.Time) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// fakeCerts is a CertSource with a fixed name and certificate.
type fakeCerts struct {
	mu      sync.Mutex
	name    string
	nameErr error
	cert    *tls.Certificate
	certErr error
	calls   atomic.Int32
}

func (f *fakeCerts) Name() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.name, f.nameErr
}

func (f *fakeCerts) Certificate(_ context.Context, name string) (*tls.Certificate, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.certErr != nil {
		return nil, f.certErr
	}
	if name != f.name {
		return nil, fmt.Errorf("asked for %q", name)
	}
	return f.cert, nil
}

// httpsFront is ts-unplug's handler chain (guard, forwarder) served on a
// TLS listener with src, forwarding to a fake upstream that records what
// it got.
type httpsFront struct {
	addr     string // 127.0.0.1:port of the TLS listener
	https    *localHTTPS
	upstream chan *http.Request
	logs     *testbin.SyncBuffer
}

func startHTTPSFront(t *testing.T, src CertSource) *httpsFront {
	t.Helper()
	f := &httpsFront{upstream: make(chan *http.Request, 10), logs: &testbin.SyncBuffer{}}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.upstream <- r.Clone(context.Background())
		io.WriteString(w, "from upstream")
	}))
	t.Cleanup(up.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.https = newLocalHTTPS(src, f.addr, f.logs.Logf)
	upAddr := strings.TrimPrefix(up.URL, "http://")
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, upAddr)
	}
	fwd := tunnel.NewHTTPForwarder(tunnel.Target{Scheme: "http", Host: "ai", Port: 80}, tunnel.NewTransport(dial, tunnel.Timeouts{}))
	srv := &http.Server{
		Handler:   f.https.guard(nil, nil, fwd),
		TLSConfig: f.https.tlsConfig(),
		ErrorLog:  nil,
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return f
}

// client trusts ca and, like a machine whose hosts file maps the name,
// connects every name to the TLS listener at addr.
func client(ca *testCA, addr string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}, Timeout: 10 * time.Second}
}

func (f *httpsFront) url(host string) string {
	_, port, _ := net.SplitHostPort(f.addr)
	return "https://" + net.JoinHostPort(host, port)
}

func TestHTTPSForwardsUnderTheTailnetName(t *testing.T) {
	ca := newTestCA(t)
	src := &fakeCerts{name: testHTTPSName, cert: ca.leaf(t, testHTTPSName, time.Now().Add(7*24*time.Hour))}
	f := startHTTPSFront(t, src)
	c := client(ca, f.addr)

	req, _ := http.NewRequest("GET", f.url(testHTTPSName)+"/v1/models", nil)
	req.Header.Set("Tailscale-User-Login", "forged@example.com")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("HTTPS request under the tailnet name: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "from upstream" {
		t.Fatalf("got %d %q, want 200 from upstream", resp.StatusCode, body)
	}
	got := <-f.upstream
	if v := got.Header.Get("Tailscale-User-Login"); v != "" {
		t.Errorf("upstream got Tailscale-User-Login %q: identity headers must be stripped on the HTTPS port too", v)
	}
	if got.Host != "ai" {
		t.Errorf("upstream Host = %q, want the target's own name", got.Host)
	}
	if fh, want := got.Header.Get("X-Forwarded-Host"), strings.TrimPrefix(f.url(testHTTPSName), "https://"); fh != want {
		t.Errorf("X-Forwarded-Host = %q, want %q", fh, want)
	}
	if p := got.Header.Get("X-Forwarded-Proto"); p != "https" {
		t.Errorf("X-Forwarded-Proto = %q, want https", p)
	}

	// A second connection reuses the certificate instead of asking the
	// tailnet for it again.
	c2 := client(ca, f.addr)
	if resp, err := c2.Get(f.url(testHTTPSName) + "/"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		<-f.upstream
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("the certificate source was asked %d times for two connections, want 1", n)
	}
	if u := f.https.url(); u != f.url(testHTTPSName) {
		t.Errorf("url() = %q, want %q", u, f.url(testHTTPSName))
	}
}

func TestHTTPSWrongNameIsAClearClientError(t *testing.T) {
	ca := newTestCA(t)
	src := &fakeCerts{name: testHTTPSName, cert: ca.leaf(t, testHTTPSName, time.Now().Add(7*24*time.Hour))}
	f := startHTTPSFront(t, src)
	c := client(ca, f.addr)
	for host, want := range map[string]string{
		"other.example.ts.net": "valid for " + testHTTPSName + ", not other.example.ts.net",
		"127.0.0.1":            "cannot validate certificate for 127.0.0.1",
	} {
		_, err := c.Get(f.url(host) + "/")
		if err == nil {
			t.Fatalf("request to https://%s succeeded, want a certificate error", host)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("https://%s: error %q does not say %q", host, err, want)
		}
	}
	if l := f.logs.String(); !strings.Contains(l, `asked for "other.example.ts.net"; this port serves only https://`+testHTTPSName) ||
		!strings.Contains(l, "asked for no name") {
		t.Errorf("log does not name the asked and the served names:\n%s", l)
	}
	select {
	case <-f.upstream:
		t.Errorf("a request with the wrong name reached the upstream")
	default:
	}
}

func TestHTTPSWithoutCertificateFailsTheHandshake(t *testing.T) {
	for _, tt := range []struct {
		name    string
		src     *fakeCerts
		problem string
	}{
		{"tailnet issues no certificates", &fakeCerts{nameErr: errNoCertDomains}, "turn on HTTPS Certificates in the admin console"},
		{"device not up", &fakeCerts{nameErr: errors.New("tailnet device x is not up yet (needs-login)")}, "not up yet"},
		{"issuing failed", &fakeCerts{name: testHTTPSName, certErr: errors.New("acme: rate limited")}, "rate limited"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ca := newTestCA(t)
			f := startHTTPSFront(t, tt.src)
			_, err := client(ca, f.addr).Get(f.url(testHTTPSName) + "/")
			if err == nil {
				t.Fatal("request succeeded without a certificate")
			}
			if p := f.https.problem(); !strings.Contains(p, tt.problem) {
				t.Errorf("problem() = %q, want it to say %q", p, tt.problem)
			}
		})
	}
}

func TestHTTPSKeepsServingTheOldCertificateWhenARefreshFails(t *testing.T) {
	ca := newTestCA(t)
	src := &fakeCerts{name: testHTTPSName, cert: ca.leaf(t, testHTTPSName, time.Now().Add(48*time.Hour))}
	h := newLocalHTTPS(src, "127.0.0.1:9443", (&testbin.SyncBuffer{}).Logf)
	now := time.Now()
	h.now = func() time.Time { return now }
	first, err := h.certificate(context.Background(), testHTTPSName)
	if err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	src.certErr = errors.New("coordination server unreachable")
	src.mu.Unlock()
	now = now.Add(2 * certRefresh)
	c, err := h.certificate(context.Background(), testHTTPSName)
	if err != nil || c != first {
		t.Errorf("after a failed refresh: %v, %v; want the old certificate", c, err)
	}
	if src.calls.Load() != 2 {
		t.Errorf("source asked %d times, want a refresh attempt after %v", src.calls.Load(), certRefresh)
	}
	now = now.Add(72 * time.Hour) // the old one has expired
	if _, err := h.certificate(context.Background(), testHTTPSName); err == nil {
		t.Errorf("an expired certificate was served when the refresh failed")
	}
}

func TestHTTPSGuard(t *testing.T) {
	ca := newTestCA(t)
	src := &fakeCerts{name: testHTTPSName, cert: ca.leaf(t, testHTTPSName, time.Now().Add(7*24*time.Hour))}
	f := startHTTPSFront(t, src)
	c := client(ca, f.addr)
	self := f.url(testHTTPSName)
	for _, tt := range []struct {
		name   string
		host   string
		header map[string]string
		want   int
	}{
		{"the tailnet name as Host", "", nil, 200},
		{"a rebinding name as Host", "evil.example", nil, 403},
		{"cross-site page", "", map[string]string{"Origin": "https://evil.example"}, 403},
		{"cross-site fetch metadata", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"its own origin", "", map[string]string{"Origin": self}, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", self+"/v1/models", nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if resp.StatusCode == 200 {
				<-f.upstream
			}
		})
	}

	// On the plain HTTP port the tailnet name is still a foreign Host.
	h := f.https.guard(nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://"+testHTTPSName+":9996/", nil)
	h.ServeHTTP(rec, req)
	if rec.Code != 403 {
		t.Errorf("plain HTTP with Host %s: %d, want 403", testHTTPSName, rec.Code)
	}
}
