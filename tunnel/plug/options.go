// Package plug is ts-plug: it makes a server running on this machine (a
// self-hosted llama.cpp, a dashboard, anything) its own tailnet device.
// Tailnet callers reach it by name; every request carries the caller's
// identity in Tailscale-* headers, set from the tailnet and never from the
// client. It can start the server itself (ts-plug [flags] -- COMMAND),
// pass stop signals on to it and exit with its status.
package plug

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// DefaultUpstream is the local server ts-plug forwards to unless told.
const DefaultUpstream = "http://127.0.0.1:8080"

// options are the parsed flags of a run.
type options struct {
	hostname      string
	dir           string
	node          tunnel.NodeFlagValues
	mappings      []mapping
	https         bool
	funnel        bool
	capsPrefixes  []string
	timeouts      tunnel.Timeouts
	shutdownGrace time.Duration
	stopGrace     time.Duration
	command       []string
}

func runFlags() []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "hostname", Usage: "tailnet device `NAME` of the plugged server, e.g. llm (required)"},
		&cli.StringFlag{Name: "dir", Usage: "state `DIR` (default: <user config dir>/ts-plug/<hostname>)"},
	}
	flags = append(flags, tunnel.NodeFlags("tag:llm", "")...)
	return append(flags,
		&cli.StringFlag{Name: "upstream", Value: DefaultUpstream, Usage: "the local server's `URL` (or just its port), served on tailnet port 80 (443 with -https)"},
		&cli.StringSliceFlag{Name: "http", Usage: "`PORT=URL`: serve tailnet PORT by HTTP from the local server at URL, e.g. 8000=http://127.0.0.1:8000; repeatable"},
		&cli.StringSliceFlag{Name: "tcp", Usage: "`PORT=HOST:PORT`: forward tailnet PORT as raw TCP to HOST:PORT, e.g. 5432=127.0.0.1:5432; repeatable"},
		&cli.BoolFlag{Name: "https", Usage: "serve -upstream on 443 with the tailnet's certificate; port 80 redirects there"},
		&cli.BoolFlag{Name: "funnel", Usage: "also expose -upstream on the public internet with Tailscale Funnel (implies -https)"},
		&cli.StringSliceFlag{Name: "caps-prefix", Usage: "send the caller's app capabilities whose names start with `PREFIX` in Tailscale-App-Capabilities; repeatable"},
		&cli.DurationFlag{Name: "dial-timeout", Value: 30 * time.Second, Usage: "timeout connecting to the local server"},
		&cli.DurationFlag{Name: "idle-timeout", Value: 90 * time.Second, Usage: "how long idle connections to the local server are kept"},
		&cli.DurationFlag{Name: "response-header-timeout", Usage: "limit on waiting for the local server's response headers (default: none; LLM answers can be slow)"},
		&cli.DurationFlag{Name: "shutdown-grace", Value: 15 * time.Second, Usage: "on SIGINT/SIGTERM, how long in-flight requests may finish"},
		&cli.DurationFlag{Name: "stop-grace", Value: 10 * time.Second, Usage: "on SIGINT/SIGTERM, how long COMMAND may take to exit before it is killed (SIGKILL)"},
	)
}

// usageError is a bad flag or argument: exit status 2.
func usageError(format string, args ...any) error {
	return cli.Exit("ts-plug: "+fmt.Sprintf(format, args...), 2)
}

// usageLine is the one-line reminder printed with a misplaced command.
const usageLine = "usage: ts-plug -hostname NAME [flags] [-- COMMAND ARGS...]; " +
	"commands: install, uninstall, status, start, stop, restart; see ts-plug --help"

// commandWords are ts-plug's subcommands and the words people type
// expecting one.
var commandWords = []string{"install", "uninstall", "status", "start", "stop", "restart", "help", "version"}

// serviceName is the OS service of the plugged server named hostname:
// one machine may plug several servers, each its own service.
func serviceName(hostname string) string { return "ts-plug-" + hostname }

// checkHostname validates a tailnet device name: one DNS label.
func checkHostname(h string) error {
	if h == "" {
		return fmt.Errorf("missing -hostname: the tailnet device name of the plugged server, e.g. -hostname llm")
	}
	if len(h) > 63 {
		return fmt.Errorf("-hostname %q: longer than 63 characters", h)
	}
	for i, r := range h {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (r == '-' && i > 0 && i < len(h)-1)
		if !ok {
			return fmt.Errorf("-hostname %q: use letters, digits and inner '-' only (one DNS label, no dots)", h)
		}
	}
	return nil
}

// parseOptions reads the flags; command is what follows "--" (or the
// positional arguments).
func parseOptions(c *cli.Context, command []string) (options, error) {
	var o options
	if args := c.Args().Slice(); len(args) > 0 {
		if len(command) > 0 {
			return o, usageError("unexpected arguments %q before --: flags go first, then -- COMMAND ARGS...", args)
		}
		if slices.Contains(commandWords, args[0]) {
			// ts-plug has no help command, and a subcommand after flags
			// is no subcommand: "help" here would be run as a program.
			return o, usageError("%q is a command name, not a COMMAND to run (see ts-plug --help; "+
				"to run a program named %s, put it after --)\n%s", args[0], args[0], usageLine)
		}
		command = args
	}
	o.command = command
	o.hostname = c.String("hostname")
	if err := checkHostname(o.hostname); err != nil {
		return o, usageError("%v", err)
	}
	dir, err := tunnel.StateDir("ts-plug", c.String("dir"), o.hostname)
	if err != nil {
		return o, usageError("%v", err)
	}
	o.dir = dir
	if o.node, err = tunnel.ReadNodeFlags(c); err != nil {
		return o, usageError("%v", err)
	}
	o.funnel = c.Bool("funnel")
	o.https = c.Bool("https") || o.funnel
	for _, p := range c.StringSlice("caps-prefix") {
		if strings.TrimSpace(p) == "" {
			return o, usageError("-caps-prefix: empty prefix (give e.g. example.com/cap/)")
		}
		o.capsPrefixes = append(o.capsPrefixes, p)
	}
	o.mappings, err = buildMappings(mappingFlags{
		upstream:    c.String("upstream"),
		upstreamSet: c.IsSet("upstream"),
		https:       o.https,
		http:        c.StringSlice("http"),
		tcp:         c.StringSlice("tcp"),
	})
	if err != nil {
		return o, usageError("%v", err)
	}
	o.timeouts = tunnel.Timeouts{
		Dial:           c.Duration("dial-timeout"),
		Idle:           c.Duration("idle-timeout"),
		ResponseHeader: c.Duration("response-header-timeout"),
	}
	for _, name := range []string{"dial-timeout", "idle-timeout", "response-header-timeout", "shutdown-grace", "stop-grace"} {
		if c.Duration(name) < 0 {
			return o, usageError("-%s %v: must not be negative", name, c.Duration(name))
		}
	}
	o.shutdownGrace = c.Duration("shutdown-grace")
	o.stopGrace = c.Duration("stop-grace")
	return o, nil
}
