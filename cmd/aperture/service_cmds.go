package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd"
	"github.com/urfave/cli/v2"
)

// serviceCommands are aperture's status, uninstall, start, stop and
// restart: the same uninstall and controls as ts-unplug's and ts-plug's
// (installers/servicecmd), and a status of its own; install is the
// gateway's (gateway/app), as it takes a run's flags.
func serviceCommands(m servicecmd.Manager, get healthGetter, stdout io.Writer) []*cli.Command {
	p := servicecmd.Program{Name: "aperture", Manager: m}
	status := &cli.Command{
		Name:  "status",
		Usage: "show the installed gateway service: its state, where its state and config are, and /healthz when it has --listen",
		Flags: []cli.Flag{servicecmd.UserFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return p.UsageError("status takes no arguments")
			}
			return serviceStatus(c, p, get, stdout)
		},
	}
	return append([]*cli.Command{status, p.Uninstall(stdout, servicecmd.StateDirKept("state-dir"))}, p.Controls(stdout)...)
}

// healthGetter fetches a URL's status code and body; http.Get in the
// binary, a fake in tests.
type healthGetter func(ctx context.Context, url string) (int, string, error)

// serviceStatus prints what the service manager and the unit file say of
// the installed gateway, and its /healthz answer when the unit gives it a
// --listen address this machine can reach. Not running, or unhealthy,
// is exit status 1.
func serviceStatus(c *cli.Context, p servicecmd.Program, get healthGetter, stdout io.Writer) error {
	svc, ok, err := p.Find(c)
	if err != nil {
		return err
	}
	if !ok {
		return cli.Exit("aperture: no aperture service is installed (`sudo aperture install` or `aperture install --user` sets one up)", 1)
	}
	fmt.Fprintf(stdout, "service:     %s\n", svc.Line())
	if svc.ReadErr != nil {
		fmt.Fprintf(stdout, "unit:        %v\n", svc.ReadErr)
	} else {
		stateDir, _ := svc.Flag("state-dir")
		config, _ := svc.Flag("config")
		if config == "" && stateDir != "" {
			config = filepath.Join(stateDir, "config.hujson")
		}
		hostname, ok := svc.Flag("hostname")
		if !ok {
			hostname = "ai"
		}
		fmt.Fprintf(stdout, "runs:        %s %s\n", svc.Installed.Executable, strings.Join(svc.Installed.Arguments, " "))
		fmt.Fprintf(stdout, "state dir:   %s\n", orDash(stateDir))
		fmt.Fprintf(stdout, "config:      %s\n", orDash(config))
		fmt.Fprintf(stdout, "device:      %s (http://%s on the tailnet)\n", hostname, hostname)
	}
	if svc.State != installers.StatusRunning {
		return cli.Exit(fmt.Sprintf("aperture: the service is %s; `aperture start%s` starts it", svc.State, userFlag(svc)), 1)
	}
	listen, ok := svc.Flag("listen")
	if !ok {
		fmt.Fprintln(stdout, "health:      - (no --listen address to ask; /healthz is on the tailnet at http://"+hostnameOf(svc)+"/healthz)")
		return nil
	}
	url := "http://" + localAddr(listen) + "/healthz"
	ctx, cancel := context.WithTimeout(c.Context, 5*time.Second)
	defer cancel()
	code, body, err := get(ctx, url)
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "health:      %s: %v\n", url, err)
		return cli.Exit("aperture: the service runs but its --listen address does not answer", 1)
	case code != http.StatusOK:
		fmt.Fprintf(stdout, "health:      %s: %d %s\n", url, code, strings.TrimSpace(body))
		return cli.Exit("aperture: the gateway is unhealthy", 1)
	}
	fmt.Fprintf(stdout, "health:      %s: ok\n", url)
	return nil
}

func hostnameOf(svc servicecmd.Service) string {
	if h, ok := svc.Flag("hostname"); ok {
		return h
	}
	return "ai"
}

func userFlag(svc servicecmd.Service) string {
	if svc.Spec.User {
		return " --user"
	}
	return ""
}

// localAddr is the address to reach a --listen address from this
// machine: an unspecified host (":8080", "0.0.0.0:8080", "[::]:8080")
// is reached on loopback.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// httpHealth is the healthGetter of the binary.
func httpHealth(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	return res.StatusCode, string(b), nil
}
