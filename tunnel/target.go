package tunnel

import (
	"fmt"
	"net"
	"net/netip"
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
	if err := CheckHost(t.Host); err != nil {
		return Target{}, fmt.Errorf("target %q: %w", raw, err)
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

// CheckHost accepts a host a target can name: an IP address, or a DNS
// name whose dot-separated labels are letters, digits, '-' and '_', none
// starting or ending with '-'. Anything else (a stray flag, a sentence,
// a shell glob) is a mistake to report, not a device to dial.
func CheckHost(host string) error {
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	name := strings.TrimSuffix(host, ".")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("%q is not a host name or IP address", host)
	}
	for _, label := range strings.Split(name, ".") {
		if err := checkLabel(label); err != nil {
			return fmt.Errorf("%q is not a host name or IP address: %w", host, err)
		}
	}
	return nil
}

func checkLabel(l string) error {
	switch {
	case l == "":
		return fmt.Errorf("empty label")
	case len(l) > 63:
		return fmt.Errorf("label %q is longer than 63 characters", l)
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q starts or ends with '-'", l)
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%q is not allowed (letters, digits, '-' and '_' only)", r)
		}
	}
	return nil
}
