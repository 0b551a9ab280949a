// Package unplug is ts-unplug: a local proxy that joins a tailnet as its
// own device and forwards localhost traffic to one tailnet target, so tools
// on a machine outside the tailnet reach it with that device's identity.
package unplug

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// DefaultPort is the local port ts-unplug listens on.
const DefaultPort = 9996

// options are the parsed flags of a run.
type options struct {
	target          tunnel.Target
	dir             string
	listen          string // host:port
	hostname        string
	node            tunnel.NodeFlagValues // -control-url, -authkey (as given), -ephemeral, -advertise-tags, -verbose
	mode            string
	allowOrigins    []string
	allowHosts      []string
	timeouts        tunnel.Timeouts
	shutdownGrace   time.Duration
	warnNonLoopback bool
	httpsListen     string // 127.0.0.1:9443 with --https, else ""
	hostsFile       string // "" is the system's

	// localUsers names each request's local OS user to the target
	// (tunnel.HeaderLocalUser).
	localUsers bool
}

func runFlags() []cli.Flag {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "dir", Usage: "state `DIR` (default: <user config dir>/ts-unplug/<hostname>)"},
		&cli.IntFlag{Name: "port", Value: DefaultPort, Usage: "local `PORT` to listen on"},
		&cli.StringFlag{Name: "listen", Value: "127.0.0.1", Usage: "local `ADDR` to listen on (loopback unless you mean otherwise)"},
		&cli.StringFlag{Name: "hostname", Usage: "tailnet device `NAME` (default: ts-unplug-<this machine's hostname>)"},
	}, tunnel.NodeFlags("tag:ci,tag:dev",
		"The key decides who is billed: an untagged key makes the device its creator's, so requests are billed to that user; "+
			"a tagged key makes every device with those tags one principal, billed together")...)
	return append(append(flags,
		&cli.StringFlag{Name: "mode", Value: "http", Usage: "http (reverse proxy) or tcp (raw bytes: databases, SSH)"},
		&cli.StringSliceFlag{Name: "allow-origin", Usage: "let web pages from `ORIGIN` (e.g. http://localhost:3000) use the tunnel; repeatable"},
		&cli.StringSliceFlag{Name: "allow-host", Usage: "also answer to Host `NAME` (besides localhost and IP addresses); repeatable"},
		&cli.DurationFlag{Name: "dial-timeout", Value: 30 * time.Second, Usage: "timeout connecting to the target"},
		&cli.DurationFlag{Name: "idle-timeout", Value: 90 * time.Second, Usage: "how long idle connections to the target are kept"},
		&cli.DurationFlag{Name: "response-header-timeout", Usage: "limit on waiting for the target's response headers (default: none; LLM answers can be slow)"},
		&cli.BoolFlag{Name: "local-users", Usage: "on a machine several people share: tell the target which local OS user's program made each request " +
			"(the owner of its connection, from the kernel; Linux only). A gateway records it for devices its config lists in shared_device_tags"},
		&cli.DurationFlag{Name: "shutdown-grace", Value: 15 * time.Second, Usage: "on SIGINT/SIGTERM, how long in-flight requests may finish"},
	), httpsFlags()...)
}

// usageError is a bad flag or argument: exit status 2.
func usageError(format string, args ...any) error {
	return cli.Exit("ts-unplug: "+fmt.Sprintf(format, args...), 2)
}

// defaultHostname is ts-unplug-<os hostname>, trimmed to a DNS label.
func defaultHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "ts-unplug"
	}
	h = strings.ToLower(strings.Split(h, ".")[0])
	return "ts-unplug-" + h
}

// parseOptions reads the flags and the TARGET argument.
func parseOptions(c *cli.Context, needTarget bool) (options, error) {
	var o options
	args := c.Args().Slice()
	switch {
	case needTarget && len(args) == 0:
		return o, usageError("missing TARGET: the tailnet host to forward to, e.g. ts-unplug ai.<tailnet>.ts.net")
	case len(args) > 1:
		return o, usageError("one TARGET expected, got %q (flags go before TARGET)", args)
	case len(args) == 1:
		t, err := parseTarget(args[0])
		if err != nil {
			return o, err
		}
		o.target = t
	}
	o.hostname = c.String("hostname")
	if o.hostname == "" {
		o.hostname = defaultHostname()
	}
	dir, err := tunnel.StateDir("ts-unplug", c.String("dir"), o.hostname)
	if err != nil {
		return o, usageError("%v", err)
	}
	o.dir = dir

	port := c.Int("port")
	if port < 1 || port > 65535 {
		return o, usageError("-port %d: must be 1-65535", port)
	}
	host := c.String("listen")
	if h, p, err := net.SplitHostPort(host); err == nil {
		// -listen 127.0.0.1:9000 also works; its port wins over -port.
		host = h
		if n, err := strconv.Atoi(p); err == nil && !c.IsSet("port") {
			port = n
		} else if err != nil {
			return o, usageError("-listen %q: bad port", c.String("listen"))
		}
	}
	if host == "" {
		return o, usageError("-listen: empty address")
	}
	if host != "localhost" {
		ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
		if err != nil {
			return o, usageError("-listen %q: not an IP address", host)
		}
		o.warnNonLoopback = !ip.IsLoopback()
	}
	o.listen = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))

	o.mode = c.String("mode")
	if o.mode != "http" && o.mode != "tcp" {
		return o, usageError("-mode %q: use http or tcp", o.mode)
	}
	if o.mode == "tcp" && o.target.Scheme == "https" {
		return o, usageError("-mode tcp forwards raw bytes; give the target as host:port, not https://")
	}
	if o.node, err = tunnel.ReadNodeFlags(c); err != nil {
		return o, usageError("%v", err)
	}
	o.allowOrigins = c.StringSlice("allow-origin")
	o.allowHosts = c.StringSlice("allow-host")
	o.timeouts = tunnel.Timeouts{
		Dial:           c.Duration("dial-timeout"),
		Idle:           c.Duration("idle-timeout"),
		ResponseHeader: c.Duration("response-header-timeout"),
	}
	o.shutdownGrace = c.Duration("shutdown-grace")
	if o.localUsers = c.Bool("local-users"); o.localUsers {
		if err := localUsersUsable(o); err != nil {
			return o, err
		}
	}
	return o, parseHTTPS(c, &o)
}
