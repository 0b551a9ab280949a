package tunnel

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Target is where a forwarder sends traffic on the tailnet.
type Target struct {
	Scheme string // "http" or "https"
	Host   string // tailnet host name or IP, e.g. "ai" or "ai.example.ts.net"
	Port   int
}

// Addr is host:port, for dialing.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// URL is the target's base URL, with the port only when it is not the
// scheme's default.
func (t Target) URL() *url.URL {
	host := t.Host
	if (t.Scheme == "http" && t.Port != 80) || (t.Scheme == "https" && t.Port != 443) {
		host = t.Addr()
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return &url.URL{Scheme: t.Scheme, Host: host}
}

func (t Target) String() string { return t.URL().String() }

// ParseTarget reads a target as users write it: "ai", "ai:8080",
// "ai.example.ts.net", "http://ai:8080" or "https://ai.example.ts.net".
// Without a scheme it is http; without a port, the scheme's default.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, fmt.Errorf("empty target: give the tailnet host to forward to, e.g. ai.<tailnet>.ts.net")
	}
	raw := s
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", raw, err)
	}
	t := Target{Scheme: strings.ToLower(u.Scheme), Host: u.Hostname()}
	switch t.Scheme {
	case "http":
		t.Port = 80
	case "https":
		t.Port = 443
	default:
		return Target{}, fmt.Errorf("target %q: scheme %q is not supported (use http:// or https://)", raw, u.Scheme)
	}
	if t.Host == "" {
		return Target{}, fmt.Errorf("target %q has no host name", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("target %q: give only a host (and port), not a path, query or credentials", raw)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("target %q: bad port %q", raw, p)
		}
		t.Port = n
	}
	return t, nil
}
