package unplug

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tsplug/ts-plug/installers/servicecmd"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// httpsToolFlag makes `run` and `env` point tools at the --https URL, for
// tools that take only https:// with a real name.
func httpsToolFlag() cli.Flag {
	return &cli.BoolFlag{Name: "https", Usage: "use the https:// URL of a ts-unplug started with --https (its tailnet name on 127.0.0.1), for tools that require HTTPS"}
}

// findHTTPSEndpoint is findEndpoint for --https: the URL the running
// instance reports, else the name it recorded with the installed
// service's --https-port (or the default).
func findHTTPSEndpoint(c *cli.Context, e env) (localEndpoint, error) {
	dir, err := instanceDir(c, e)
	if err != nil {
		return localEndpoint{}, err
	}
	ctx, cancel := context.WithTimeout(c.Context, 2*time.Second)
	raw, err := tunnel.FetchStatus(ctx, filepath.Join(dir, tunnel.StatusSocketName))
	cancel()
	var r statusReport
	if err == nil && json.Unmarshal(raw, &r) == nil {
		if r.HTTPS != "" {
			return localEndpoint{Base: r.HTTPS, From: "the ts-unplug running with state dir " + dir}, nil
		}
		if r.HTTPSListen == "" {
			return localEndpoint{}, cli.Exit(fmt.Sprintf("ts-unplug: the ts-unplug running with state dir %s serves no HTTPS: start (or install) it with --https", dir), 1)
		}
		return localEndpoint{}, cli.Exit(fmt.Sprintf("ts-unplug: the ts-unplug running with state dir %s does not serve HTTPS yet: %s", dir, r.HTTPSProblem), 1)
	}
	name, ok := readHTTPSName(dir)
	if !ok {
		return localEndpoint{}, cli.Exit(fmt.Sprintf("ts-unplug: no ts-unplug with --https has run with state dir %s (pass --dir if it uses another)", dir), 1)
	}
	port := strconv.Itoa(DefaultHTTPSPort)
	if svc, ok, err := e.program().Find(c); err == nil && ok {
		if p, ok := servicecmd.FlagValue(svc.Installed.Arguments, "https-port"); ok {
			port = p
		}
	}
	return localEndpoint{Base: "https://" + hostPort(name, net.JoinHostPort("127.0.0.1", port)), From: "the name recorded in " + dir}, nil
}
