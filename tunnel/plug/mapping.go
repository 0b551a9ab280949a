package plug

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/tsplug/ts-plug/tunnel"
)

// Kinds of tailnet port a mapping serves.
const (
	kindHTTP     = "http"     // plain HTTP reverse proxy
	kindHTTPS    = "https"    // HTTPS with the tailnet's certificate (Funnel too with -funnel)
	kindRedirect = "redirect" // port 80 of an -https server: redirects to https://
	kindTCP      = "tcp"      // raw bytes
)

// mapping is one tailnet port and the local server behind it.
type mapping struct {
	Kind   string
	Port   int           // tailnet port
	Target tunnel.Target // the local server (unused for redirect)
	Flag   string        // where it came from, for messages: "-upstream", "-http 8000=..."
}

func (m mapping) String() string {
	switch m.Kind {
	case kindRedirect:
		return fmt.Sprintf("tailnet port %d redirects to https", m.Port)
	case kindTCP:
		return fmt.Sprintf("tailnet tcp port %d -> %s", m.Port, m.Target.Addr())
	}
	return fmt.Sprintf("tailnet %s port %d -> %s", m.Kind, m.Port, m.Target)
}

// mappingFlags are the flags that decide which ports are served.
type mappingFlags struct {
	upstream    string
	upstreamSet bool
	https       bool
	http, tcp   []string
}

// buildMappings turns the flags into the served ports. -upstream is served
// on port 80 (with -https: 443, and 80 redirects) unless only -http/-tcp
// mappings were given; a tailnet port may be used once.
func buildMappings(f mappingFlags) ([]mapping, error) {
	var out []mapping
	if f.upstreamSet || f.https || (len(f.http) == 0 && len(f.tcp) == 0) {
		t, err := parseLocalURL(f.upstream)
		if err != nil {
			return nil, fmt.Errorf("-upstream: %w", err)
		}
		if f.https {
			out = append(out,
				mapping{Kind: kindHTTPS, Port: 443, Target: t, Flag: "-https"},
				mapping{Kind: kindRedirect, Port: 80, Flag: "-https"})
		} else {
			out = append(out, mapping{Kind: kindHTTP, Port: 80, Target: t, Flag: "-upstream"})
		}
	}
	for _, s := range f.http {
		port, rest, err := splitMapping(s)
		if err != nil {
			return nil, fmt.Errorf("-http %q: %w (want PORT=URL, e.g. 8000=http://127.0.0.1:8000)", s, err)
		}
		t, err := parseLocalURL(rest)
		if err != nil {
			return nil, fmt.Errorf("-http %q: %w", s, err)
		}
		out = append(out, mapping{Kind: kindHTTP, Port: port, Target: t, Flag: "-http " + s})
	}
	for _, s := range f.tcp {
		port, rest, err := splitMapping(s)
		if err != nil {
			return nil, fmt.Errorf("-tcp %q: %w (want PORT=HOST:PORT, e.g. 5432=127.0.0.1:5432)", s, err)
		}
		t, err := parseLocalAddr(rest)
		if err != nil {
			return nil, fmt.Errorf("-tcp %q: %w", s, err)
		}
		out = append(out, mapping{Kind: kindTCP, Port: port, Target: t, Flag: "-tcp " + s})
	}
	used := map[int]string{}
	for _, m := range out {
		if prev, ok := used[m.Port]; ok {
			return nil, fmt.Errorf("%s: tailnet port %d is already served by %s", m.Flag, m.Port, prev)
		}
		used[m.Port] = m.Flag
	}
	return out, nil
}

// splitMapping splits "PORT=REST".
func splitMapping(s string) (int, string, error) {
	p, rest, ok := strings.Cut(s, "=")
	if !ok || rest == "" {
		return 0, "", fmt.Errorf("missing =")
	}
	port, err := parsePort(p)
	if err != nil {
		return 0, "", err
	}
	return port, rest, nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("bad port %q (1-65535)", s)
	}
	return n, nil
}

// parseLocalURL reads a local server's address: a URL ("http://127.0.0.1:8080",
// "https://localhost:8443"), host:port, or just a port (127.0.0.1).
func parseLocalURL(s string) (tunnel.Target, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.Atoi(s); err == nil {
		port, err := parsePort(s)
		if err != nil {
			return tunnel.Target{}, err
		}
		return tunnel.Target{Scheme: "http", Host: "127.0.0.1", Port: port}, nil
	}
	if s == "" {
		return tunnel.Target{}, fmt.Errorf("empty: give the local server's URL, e.g. http://127.0.0.1:8080")
	}
	return tunnel.ParseTarget(s)
}

// parseLocalAddr reads a raw TCP address: host:port, or a port (127.0.0.1).
func parseLocalAddr(s string) (tunnel.Target, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.Atoi(s); err == nil {
		port, err := parsePort(s)
		if err != nil {
			return tunnel.Target{}, err
		}
		return tunnel.Target{Scheme: "tcp", Host: "127.0.0.1", Port: port}, nil
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return tunnel.Target{}, fmt.Errorf("%q is not HOST:PORT", s)
	}
	if err := tunnel.CheckHost(host); err != nil {
		return tunnel.Target{}, err
	}
	port, err := parsePort(p)
	if err != nil {
		return tunnel.Target{}, err
	}
	return tunnel.Target{Scheme: "tcp", Host: host, Port: port}, nil
}

// childPort is the PORT a started command is told to listen on: the port
// of the first local server.
func childPort(ms []mapping) (int, bool) {
	for _, m := range ms {
		if m.Kind != kindRedirect {
			return m.Target.Port, true
		}
	}
	return 0, false
}
