package unplug

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// Some clients take only an https:// URL with a real domain name (the
// Claude desktop app's gateway mode, tools under HTTPS-only policies), so
// http://localhost:9996 is no use to them. With --https ts-unplug also
// serves TLS on 127.0.0.1 under its own tailnet name
// (ts-unplug-laptop.example.ts.net), with the certificate the tailnet
// issues for that name, and the hosts file maps the name to 127.0.0.1 on
// this machine (hosts.go). Requests take the same path as on the HTTP
// port: identity headers stripped, browsers refused by the same rules,
// the name admitted as Host only on the TLS port.

// DefaultHTTPSPort is the local port of --https. Not 443: on Linux and
// macOS a port below 1024 needs root, and ts-unplug's service runs as the
// user; --https-port 443 works for a service that runs as root.
const DefaultHTTPSPort = 9443

// httpsNameFile, in the state directory, holds the name the HTTPS port
// serves, written by the running ts-unplug once it knows it, so that
// install, `ts-unplug hosts` and uninstall know which hosts line is this
// device's even when it is not running.
const httpsNameFile = "https-name"

func httpsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "https", Usage: "also serve HTTPS on 127.0.0.1 under this device's tailnet name, with the tailnet's certificate " +
			"(the tailnet must have HTTPS certificates on), for clients that require https:// and a real name"},
		&cli.IntFlag{Name: "https-port", Value: DefaultHTTPSPort, Usage: "local `PORT` of --https (implies --https; 443 needs root)"},
		&cli.StringFlag{Name: "hosts-file", Hidden: true, Usage: "hosts file `PATH` to map the --https name in (default: the system's)"},
	}
}

// parseHTTPS reads --https and --https-port into o, after -listen.
func parseHTTPS(c *cli.Context, o *options) error {
	o.hostsFile = c.String("hosts-file")
	if !c.Bool("https") && !c.IsSet("https-port") {
		return nil
	}
	if o.mode == "tcp" {
		return usageError("--https serves HTTP over TLS; it does not go with -mode tcp")
	}
	port := c.Int("https-port")
	if port < 1 || port > 65535 {
		return usageError("--https-port %d: must be 1-65535", port)
	}
	// Always 127.0.0.1, whatever -listen says: the hosts line maps the
	// name there, and nothing off this machine should be served.
	o.httpsListen = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if o.httpsListen == o.listen {
		return usageError("--https-port %d is also the HTTP port; pick another", port)
	}
	return nil
}

// CertSource is where the HTTPS port gets its name and certificate: the
// tailnet (tailnetCerts), or in tests a CA made for the test.
type CertSource interface {
	// Name is the DNS name to serve, once known; the error says why there
	// is none (the device is not up, the tailnet issues no certificates).
	Name() (string, error)
	// Certificate returns a certificate for name.
	Certificate(ctx context.Context, name string) (*tls.Certificate, error)
}

// errNoCertDomains is the tailnet giving this device no HTTPS name.
var errNoCertDomains = errors.New("the tailnet issues no HTTPS certificate for this device: " +
	"turn on HTTPS Certificates in the admin console (DNS page; MagicDNS must be on too), then restart ts-unplug")

// tailnetCerts is the tailnet's certificate for the node's own name, as
// `tailscale cert` gets it (Let's Encrypt via the coordination server,
// cached in the state directory and renewed by tsnet).
type tailnetCerts struct{ node *tunnel.Node }

func (t tailnetCerts) Name() (string, error) {
	st := t.node.State()
	select {
	case <-t.node.Ready():
	default:
		return "", fmt.Errorf("tailnet device %s is not up yet (%s)", st.Hostname, st.Phase)
	}
	var names []string
	for _, d := range t.node.Server().CertDomains() {
		if !strings.HasPrefix(d, "*.") {
			names = append(names, d)
		}
	}
	if len(names) == 0 {
		return "", errNoCertDomains
	}
	for _, d := range names {
		if strings.EqualFold(d, st.DNSName) {
			return d, nil
		}
	}
	return names[0], nil
}

func (t tailnetCerts) Certificate(ctx context.Context, name string) (*tls.Certificate, error) {
	lc, err := t.node.Server().LocalClient()
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := lc.CertPair(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("the tailnet's certificate for %s: %w", name, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the tailnet's certificate for %s: %w", name, err)
	}
	return &cert, nil
}

// localHTTPS is the HTTPS port: its certificate (fetched once and kept,
// since the tailnet's takes a local API call and a parse per handshake)
// and what status shows of it.
type localHTTPS struct {
	src    CertSource
	listen string // 127.0.0.1:9443
	logf   func(format string, args ...any)
	now    func() time.Time

	fetchMu  sync.Mutex // one fetch at a time
	mu       sync.Mutex
	cert     *tls.Certificate
	name     string // what cert is for
	fetched  time.Time
	lastErr  string
	wrongSNI map[string]bool // names already logged
}

// certRefresh is how long a fetched certificate is used before asking the
// source again (tsnet renews the tailnet's well before it expires).
const certRefresh = time.Hour

func newLocalHTTPS(src CertSource, listen string, logf func(string, ...any)) *localHTTPS {
	return &localHTTPS{src: src, listen: listen, logf: logf, now: time.Now, wrongSNI: map[string]bool{}}
}

// tlsConfig is the HTTPS port's TLS configuration.
func (h *localHTTPS) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: h.getCertificate}
}

// getCertificate answers every handshake with the certificate for the
// one name it serves. A client that asked for another name (or none: an
// IP address) still gets it, so its error names the right host ("valid
// for ts-unplug-laptop.example.ts.net, not 127.0.0.1"); the log says it too.
func (h *localHTTPS) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name, err := h.src.Name()
	if err != nil {
		h.setErr(err)
		return nil, fmt.Errorf("no certificate yet: %w", err)
	}
	if sni := strings.TrimSuffix(hello.ServerName, "."); !strings.EqualFold(sni, name) {
		h.noteWrongName(sni, name)
	}
	ctx := hello.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return h.certificate(ctx, name)
}

func (h *localHTTPS) noteWrongName(sni, name string) {
	h.mu.Lock()
	seen := h.wrongSNI[sni]
	if len(h.wrongSNI) < 100 {
		h.wrongSNI[sni] = true
	}
	h.mu.Unlock()
	if !seen {
		asked := "no name (an IP address?)"
		if sni != "" {
			asked = strconv.Quote(sni)
		}
		h.logf("HTTPS: a client asked for %s; this port serves only https://%s", asked, hostPort(name, h.listen))
	}
}

// certificate returns the kept certificate for name, fetching it when
// there is none, it is an hour old, or it is near its end. A failed
// refresh keeps serving the old one while it is valid.
func (h *localHTTPS) certificate(ctx context.Context, name string) (*tls.Certificate, error) {
	h.fetchMu.Lock()
	defer h.fetchMu.Unlock()
	now := h.now()
	h.mu.Lock()
	old, oldName, fetched := h.cert, h.name, h.fetched
	h.mu.Unlock()
	usable := old != nil && oldName == name && now.Before(old.Leaf.NotAfter)
	if usable && now.Sub(fetched) < certRefresh && now.Before(old.Leaf.NotAfter.Add(-24*time.Hour)) {
		return old, nil
	}
	c, err := h.src.Certificate(ctx, name)
	if err == nil && c.Leaf == nil && len(c.Certificate) > 0 {
		c.Leaf, err = x509.ParseCertificate(c.Certificate[0])
	}
	if err == nil && c.Leaf == nil {
		err = errors.New("empty certificate")
	}
	if err != nil {
		if usable {
			h.logf("HTTPS: refreshing the certificate for %s: %v (the current one is valid until %s)", name, err, old.Leaf.NotAfter.Format(time.RFC3339))
			return old, nil
		}
		h.setErr(err)
		return nil, err
	}
	h.mu.Lock()
	h.cert, h.name, h.fetched, h.lastErr = c, name, now, ""
	h.mu.Unlock()
	return c, nil
}

func (h *localHTTPS) setErr(err error) {
	h.mu.Lock()
	h.lastErr = err.Error()
	h.mu.Unlock()
}

// url is the https:// URL tools use, once the name is known.
func (h *localHTTPS) url() string {
	if h == nil {
		return ""
	}
	name, err := h.src.Name()
	if err != nil {
		return ""
	}
	return "https://" + hostPort(name, h.listen)
}

// problem is why the HTTPS port cannot serve, or "".
func (h *localHTTPS) problem() string {
	if h == nil {
		return ""
	}
	if _, err := h.src.Name(); err != nil {
		return err.Error()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastErr
}

// hostPort is name with listen's port.
func hostPort(name, listen string) string {
	_, port, _ := net.SplitHostPort(listen)
	if port == "443" {
		return name
	}
	return net.JoinHostPort(name, port)
}

// guard is the browser guard for both ports: on the HTTPS port the
// served name is an allowed Host as well (the certificate vouches for it;
// a rebinding page cannot present it), elsewhere the rules are unchanged.
func (h *localHTTPS) guard(allowHosts, allowOrigins []string, next http.Handler) http.Handler {
	plain := &tunnel.BrowserGuard{AllowedHosts: allowHosts, AllowedOrigins: allowOrigins, Next: next}
	if h == nil {
		return plain
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			plain.ServeHTTP(w, r)
			return
		}
		hosts := allowHosts
		if name, err := h.src.Name(); err == nil {
			hosts = append(slices.Clip(allowHosts), name)
		}
		(&tunnel.BrowserGuard{AllowedHosts: hosts, AllowedOrigins: allowOrigins, Next: next}).ServeHTTP(w, r)
	})
}

// httpsStatusLine is the `https:` line of status: the URL and whether
// this machine resolves the name to ts-unplug, or what is in the way.
func httpsStatusLine(r statusReport, hostsPath, hostsCmd string) string {
	if r.HTTPS == "" {
		return fmt.Sprintf("%s, not serving yet: %s", r.HTTPSListen, r.HTTPSProblem)
	}
	line := fmt.Sprintf("%s (on %s)", r.HTTPS, r.HTTPSListen)
	if r.HTTPSProblem != "" {
		line += ", cannot serve: " + r.HTTPSProblem
	}
	u, err := url.Parse(r.HTTPS)
	if err != nil {
		return line
	}
	if r.HostsFile != "" {
		hostsPath = r.HostsFile
	}
	hf := hostsFile(hostsPath)
	switch m, ok, err := hf.Lookup(u.Hostname()); {
	case err != nil:
		line += fmt.Sprintf("; cannot read %s: %v", hf.Path, err)
	case ok && m.IP.IsLoopback():
		line += fmt.Sprintf("; %s maps the name to %s", hf.Path, m.IP)
	case ok:
		line += fmt.Sprintf("; but %s line %d sends the name to %s, not here", hf.Path, m.Line, m.IP)
	default:
		line += fmt.Sprintf("; the name does not resolve here yet: run `%s", sudoHint(hostsCmd))
	}
	return line
}
