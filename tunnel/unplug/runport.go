package unplug

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tsplug/ts-plug/installers/servicecmd"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// toolFlags are the flags of `run` and `env`: where the ts-unplug the tool
// should use listens, or how to find it.
func toolFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "port", Usage: "ts-unplug's local `PORT`", DefaultText: "the running instance's, else 9996"},
		&cli.StringFlag{Name: "dir", Usage: "state `DIR` of the ts-unplug to use, to ask it its port (default: the installed service's, else a run's default)"},
		servicecmd.UserFlag(),
		httpsToolFlag(),
	}
}

// localEndpoint is where the tool should send its requests, and how
// ts-unplug learned it (for messages).
type localEndpoint struct {
	Base string // http://localhost:9996
	From string // "--port", "the running instance", "the default port"
}

// findEndpoint learns the local port: --port, else what the running
// instance says on its status socket (its -listen and -port may be
// anything), else the installed service's flags, else the default. It
// fails only on a bad --port: a wrong guess is reported by the reachability check, with
// what to do.
func findEndpoint(c *cli.Context, e env) (localEndpoint, error) {
	if c.Bool("https") {
		return findHTTPSEndpoint(c, e)
	}
	if c.IsSet("port") {
		if p := c.Int("port"); p < 1 || p > 65535 {
			return localEndpoint{}, usageError("--port %d: must be 1-65535", p)
		}
		return localEndpoint{Base: baseURL(net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Int("port")))), From: "--port"}, nil
	}
	dir := c.String("dir")
	var unitArgs []string
	if dir == "" {
		if svc, ok, err := e.program().Find(c); err == nil && ok {
			dir, _ = svc.Flag("dir")
			unitArgs = svc.Installed.Arguments
		}
	}
	if dir == "" {
		if d, err := tunnel.StateDir("ts-unplug", "", defaultHostname()); err == nil {
			dir = d
		}
	}
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			ctx, cancel := context.WithTimeout(c.Context, 2*time.Second)
			raw, err := tunnel.FetchStatus(ctx, filepath.Join(abs, tunnel.StatusSocketName))
			cancel()
			var r statusReport
			if err == nil && json.Unmarshal(raw, &r) == nil && r.Listen != "" && r.Mode != "tcp" {
				return localEndpoint{Base: baseURL(r.Listen), From: "the ts-unplug running with state dir " + abs}, nil
			}
		}
	}
	// The service's socket may be another user's; its unit says the port.
	if p, ok := servicecmd.FlagValue(unitArgs, "port"); ok {
		host, _ := servicecmd.FlagValue(unitArgs, "listen")
		if host == "" {
			host = "127.0.0.1"
		}
		return localEndpoint{Base: baseURL(net.JoinHostPort(host, p)), From: "the installed service's -port"}, nil
	}
	return localEndpoint{Base: baseURL(net.JoinHostPort("127.0.0.1", strconv.Itoa(DefaultPort))), From: "the default port"}, nil
}

// baseURL is the URL tools use for listen address hostport. A loopback
// IPv4 address is spelled localhost, the name clients that insist on
// HTTPS still accept over plain HTTP (Gemini CLI) and the one ts-unplug's
// Host check always admits.
func baseURL(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "http://" + hostport
	}
	if ip, err := netip.ParseAddr(host); host == "localhost" || (err == nil && ip.Is4() && ip.IsLoopback()) || (err == nil && ip.IsUnspecified()) {
		return fmt.Sprintf("http://localhost:%s", port)
	}
	return "http://" + net.JoinHostPort(host, port)
}
