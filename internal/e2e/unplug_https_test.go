package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// ts-unplug --https on the offline tailnet, through the real certificate
// path: tsnet's local API reads the certificate from the state
// directory's cert cache. The test control server issues no certificates
// (there is no ACME server offline), so the test puts one there, signed
// by a CA made here, and the child trusts that CA (SSL_CERT_FILE) as a
// real ts-unplug trusts Let's Encrypt. Everything else is as shipped:
// CertDomains from the tailnet, the hosts file mapping (a temporary
// file), the up line, status, and forwarding over TLS with identity
// headers stripped.
func TestUnplugHTTPS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	ai := tn.Node(t, "ai")
	serveEchoNode(t, ai)

	name := "laptop." + tn.Domain // the test control server's CertDomains for the device
	work := t.TempDir()
	dir := filepath.Join(work, "state")
	caPEM, certPEM, keyPEM := issueTestCert(t, name)
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "certs", name+".crt"), certPEM)
	writeFile(t, filepath.Join(dir, "certs", name+".key"), keyPEM)
	caFile := filepath.Join(work, "ca.pem")
	writeFile(t, caFile, caPEM)
	hosts := filepath.Join(work, "hosts")
	writeFile(t, hosts, []byte("127.0.0.1 localhost\n"))

	port, httpsPort := freePort(t), freePort(t)
	env := append(tn.ChildEnv(), "SSL_CERT_FILE="+caFile,
		// Renewal checks ask the ACME server first; offline, fail at once.
		"TS_DEBUG_ACME_DIRECTORY_URL=http://127.0.0.1:1/directory")
	p := testbin.Start(t, env, testbin.Build(t, "ts-unplug"), "-dir", dir, "-port", port, "-hostname", "laptop",
		"-control-url", tn.ControlURL, "-authkey", tn.AuthKey,
		"--https-port", httpsPort, "--hosts-file", hosts, "ai")
	url := "https://" + net.JoinHostPort(name, httpsPort)

	if err := p.WaitOutput(ctx, "; HTTPS at "+url); err != nil {
		t.Fatalf("up line without the HTTPS URL: %v\n%s", err, p.Output())
	}
	if err := p.WaitOutput(ctx, "added `127.0.0.1 "+name+" # ts-unplug` to "+hosts); err != nil {
		t.Fatalf("hosts mapping not logged: %v\n%s", err, p.Output())
	}
	if b, _ := os.ReadFile(hosts); string(b) != "127.0.0.1 localhost\n127.0.0.1 "+name+" # ts-unplug\n" {
		t.Errorf("hosts file:\n%s", b)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		// What the hosts line does for every program on the machine.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, p, _ := net.SplitHostPort(addr)
			if host == name {
				addr = net.JoinHostPort("127.0.0.1", p)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/whoami", nil)
	req.Header.Set("Tailscale-User-Login", "ceo@example.com")
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s/whoami: %v\n%s", url, err, p.Output())
	}
	var who struct {
		Node    string
		Headers http.Header
	}
	json.NewDecoder(res.Body).Decode(&who)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(who.Node, "laptop.") {
		t.Errorf("HTTPS /whoami: %s, node %q; want 200 from the target as device laptop", res.Status, who.Node)
	}
	if v := who.Headers.Get("Tailscale-User-Login"); v != "" {
		t.Errorf("forged Tailscale-User-Login reached the target over HTTPS: %q", v)
	}
	if fh := who.Headers.Get("X-Forwarded-Host"); fh != net.JoinHostPort(name, httpsPort) {
		t.Errorf("X-Forwarded-Host = %q, want the HTTPS name", fh)
	}

	out, code := runBin(t, nil, "ts-unplug", "status", "-dir", dir)
	if code != 0 || !strings.Contains(out, "https:       "+url+" (on 127.0.0.1:"+httpsPort+"); "+hosts+" maps the name to 127.0.0.1") {
		t.Errorf("status (exit %d) lacks the HTTPS line:\n%s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "https-name")); strings.TrimSpace(string(b)) != name {
		t.Errorf("recorded name %q, want %q", b, name)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// issueTestCert makes a CA and a 90-day certificate for name signed by
// it, in PEM, as Let's Encrypt's would be cached.
func issueTestCert(t *testing.T, name string) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// A tailnet that issues no certificates (here: no MagicDNS names, so no
// CertDomains) gets --https's clear refusal through the real tsnet, in
// the log and in status, while the HTTP port keeps working.
func TestUnplugHTTPSWithoutTailnetCertificates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{MagicDNSDomain: "-"})
	ai := tn.Node(t, "ai")
	serveEchoNode(t, ai)
	hosts := filepath.Join(t.TempDir(), "hosts")
	writeFile(t, hosts, []byte("127.0.0.1 localhost\n"))
	httpsPort := freePort(t)
	base, p, dir := startUnplug(t, tn, "laptop", "--https-port", httpsPort, "--hosts-file", hosts, "ai")

	res := waitHTTP(ctx, t, base+"/whoami", 200)
	res.Body.Close()
	const advice = "turn on HTTPS Certificates in the admin console"
	if err := p.WaitOutput(ctx, "HTTPS on 127.0.0.1:"+httpsPort+": the tailnet issues no HTTPS certificate for this device: "+advice); err != nil {
		t.Fatalf("no clear refusal in the log: %v\n%s", err, p.Output())
	}
	out, code := runBin(t, nil, "ts-unplug", "status", "-dir", dir)
	if code != 0 || !strings.Contains(out, "https:       127.0.0.1:"+httpsPort+", not serving yet: ") || !strings.Contains(out, advice) {
		t.Errorf("status (exit %d) does not say why HTTPS is off:\n%s", code, out)
	}
	if b, _ := os.ReadFile(hosts); string(b) != "127.0.0.1 localhost\n" {
		t.Errorf("hosts file changed without a name to serve:\n%s", b)
	}
	// The TLS port is open but has no certificate to offer.
	c, err := tls.Dial("tcp", "127.0.0.1:"+httpsPort, &tls.Config{ServerName: "laptop.example.ts.net"})
	if err == nil {
		c.Close()
		t.Errorf("TLS handshake succeeded without a certificate")
	}
}
