// Package app is the aperture command: flags, state directory, the
// tailnet node, listeners, config reloads and shutdown around the gateway.
package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// Main runs aperture with args and returns the exit status: 0 clean,
// 1 runtime failure (or an invalid config), 2 bad usage. extra are more
// subcommands: cmd/aperture adds status, uninstall, start, stop and
// restart.
func Main(args []string, version string, stdout, stderr io.Writer, extra ...*cli.Command) int {
	a := newApp(version, stdout, stderr)
	a.Commands = append(a.Commands, extra...)
	err := a.Run(args)
	return tunnel.ExitStatus("aperture", err, stderr)
}

func usageError(format string, args ...any) error {
	return cli.Exit("aperture: "+fmt.Sprintf(format, args...), 2)
}

func flags() []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "HuJSON config `FILE` (default: <state-dir>/config.hujson, created with a commented default if missing)"},
		&cli.StringFlag{Name: "state-dir", Usage: "`DIR` for tailnet state and the database (default: <user config dir>/aperture)"},
		&cli.StringFlag{Name: "hostname", Value: "ai", Usage: "tailnet device `NAME`"},
	}
	flags = append(flags, tunnel.NodeFlags("tag:aperture", "")...)
	return append(flags,
		&cli.StringSliceFlag{Name: "admin", Usage: "make `LOGIN` (a tailnet login, or tag:NAME) an admin whatever the config says; repeatable. A fresh config has no admins"},
		&cli.StringFlag{Name: "listen", Usage: "extra plain-HTTP `ADDR` (e.g. 127.0.0.1:8080); its callers are \"(loopback)\", users under the default config"},
		&cli.BoolFlag{Name: "local-admin", Usage: "make callers of --listen admins; only when nothing but this machine's own users reach that port (not behind tailscale serve, nginx or ts-plug)"},
		&cli.StringSliceFlag{Name: "allow-secret-ref", Usage: "let configs saved through the config API or Settings use the env:/file: `PATTERN` (e.g. env:ANTHROPIC_*, file:/etc/aperture/keys/*); repeatable. Without it they may use only references the config file on this host already has"},
		&cli.BoolFlag{Name: "no-tailnet", Usage: "serve only --listen (single-user local use, benchmarks)"},
		databaseFlag(),
		&cli.DurationFlag{Name: "shutdown-grace", Value: 30 * time.Second, Usage: "on SIGINT/SIGTERM, how long in-flight streams may finish"},
		serviceFlag(),
	)
}

func newApp(version string, stdout, stderr io.Writer) *cli.App {
	app := tunnel.NewApp("aperture", version, stdout, stderr)
	app.Usage = "an LLM gateway on your tailnet: identity from the tailnet, keys stay on the gateway"
	app.Description = "aperture joins the tailnet as device \"ai\" and serves the OpenAI, Anthropic and Gemini APIs\n" +
		"on http://ai. Callers are identified by the tailnet, authorized by grants, and metered."
	app.Flags = flags()
	// --admin takes each value whole: "tag:a,tag:b" is one tag set, not
	// two tags that would each become admins.
	app.DisableSliceFlagSeparator = true
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usageError("unexpected argument %q", c.Args().First())
		}
		o, err := parseOptions(c, version)
		if err != nil {
			return err
		}
		return run(c.Context, o, stderr)
	}
	app.Commands = []*cli.Command{{
		Name:      "install",
		Usage:     "install aperture as a service that starts at boot (same flags as a run)",
		Flags:     append(append(flags(), serviceFlags()...), installEnvFlags()...),
		ArgsUsage: " ",
		Action:    func(c *cli.Context) error { return install(c, version, stdout) },
	}, {
		Name: "validate",
		Usage: "check a config file as the gateway and its Settings page do: every warning and error with its line; " +
			"exit 1 on errors (which Settings refuses to save), 0 with warnings (which it saves)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "config `FILE` to check (default: <state-dir>/config.hujson)"},
			&cli.StringFlag{Name: "state-dir", Usage: "the gateway's state `DIR`, whose " + EnvFileName + " provides env: keys as it does for the service (default: the config file's directory)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("validate: unexpected argument %q", c.Args().First())
			}
			path, dir := c.String("config"), c.String("state-dir")
			if path == "" && dir == "" {
				return usageError("validate needs --config FILE or --state-dir DIR")
			}
			if path == "" {
				path = filepath.Join(dir, "config.hujson")
			}
			if dir == "" {
				dir = filepath.Dir(path)
			}
			return validate(path, dir, stdout)
		},
	}, backupCommand(stdout)}
	return app
}

type options struct {
	configPath    string
	stateDir      string
	hostname      string
	node          tunnel.NodeFlagValues
	listen        string
	noTailnet     bool
	admins        []string // grant srcs made admins: --admin, and "(loopback)" for --local-admin
	secretRefs    []string // --allow-secret-ref patterns
	database      string   // --database: a postgres:// URL or a SQLite file, or "" (databaseTarget)
	shutdownGrace time.Duration
	version       string
	service       string // --service: a Tailscale Service name, or ""
}

func parseOptions(c *cli.Context, version string) (options, error) {
	o := options{
		hostname: c.String("hostname"), listen: c.String("listen"), noTailnet: c.Bool("no-tailnet"),
		shutdownGrace: c.Duration("shutdown-grace"), version: version,
	}
	if o.noTailnet && o.listen == "" {
		return o, usageError("--no-tailnet needs --listen ADDR, or nothing would be served")
	}
	if o.hostname == "" {
		return o, usageError("--hostname must not be empty")
	}
	admins, err := parseAdmins(c.StringSlice("admin"), c.Bool("local-admin"), o.listen != "")
	if err != nil {
		return o, err
	}
	o.admins = admins
	o.database = c.String("database")
	o.secretRefs = c.StringSlice("allow-secret-ref")
	if o.service, err = parseService(c.String("service"), o.noTailnet); err != nil {
		return o, err
	}
	if o.node, err = tunnel.ReadNodeFlags(c); err != nil {
		return o, usageError("%v", err)
	}
	if o.stateDir, err = resolveStateDir(c.String("state-dir")); err != nil {
		return o, err
	}
	o.configPath = c.String("config")
	if o.configPath == "" {
		o.configPath = filepath.Join(o.stateDir, "config.hujson")
	}
	return o, nil
}

// resolveStateDir is --state-dir made absolute, or the default
// <user config dir>/aperture.
func resolveStateDir(dir string) (string, error) {
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", usageError("no default state directory (%v): pass --state-dir", err)
		}
		dir = filepath.Join(base, "aperture")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", usageError("--state-dir: %v", err)
	}
	return abs, nil
}

// parseAdmins checks the --admin values and adds "(loopback)" for
// --local-admin. Each value is a grant src naming one caller or one tag
// (set); the selectors that would make many callers admins at once are
// refused here, since a config grant says the same thing in plain sight.
func parseAdmins(logins []string, localAdmin, listening bool) ([]string, error) {
	var out []string
	for _, l := range logins {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
			return nil, usageError("--admin needs a login, e.g. --admin alice@example.com")
		case l == "*":
			return nil, usageError("--admin \"*\" would make everyone an admin; name logins, or write that grant in the config if you mean it")
		case l == identity.Loopback:
			return nil, usageError("--admin %q: use --local-admin to make the --listen port's callers admins", l)
		case strings.HasPrefix(l, "group:"):
			return nil, usageError("--admin %q: groups are not matched (the gateway does not learn group membership); name logins", l)
		}
		out = append(out, l)
	}
	if localAdmin {
		if !listening {
			return nil, usageError("--local-admin needs --listen ADDR: it makes that port's callers admins")
		}
		out = append(out, identity.Loopback)
	}
	return out, nil
}

// validate prints each diagnostic of the config at path with its line,
// the provider key problems the gateway reports too (gateway.KeyDiagnostics),
// with the env: keys read as the service reads them: stateDir's
// environment file first. Errors exit 1, as Settings refuses to save
// them; warnings are printed and exit 0, as Settings saves them.
func validate(path, stateDir string, stdout io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stdout, "aperture: "+format+"\n", args...) }
	if err := loadEnvFile(stateDir, logf); err != nil {
		return cli.Exit("aperture: "+err.Error(), 1)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return cli.Exit(fmt.Sprintf("aperture: %v", err), 1)
	}
	cfg, diags, err := config.ParseFile(path, src)
	if cfg != nil {
		diags = gateway.KeyDiagnostics(cfg, src, diags)
	}
	for _, d := range diags {
		fmt.Fprintln(stdout, formatDiag(path, d))
	}
	errs := 0
	for _, d := range diags {
		if d.Severity == config.Error {
			errs++
		}
	}
	if err != nil || errs > 0 {
		return cli.Exit(fmt.Sprintf("aperture: %s is not valid: %d error(s), %d warning(s); Settings would refuse to save it", path, errs, len(diags)-errs), 1)
	}
	fmt.Fprintf(stdout, "%s: OK (%d warnings)\n", path, len(diags))
	return nil
}

// formatDiag prints a diagnostic as compilers do: FILE:LINE:COL: severity:
// path: message.
func formatDiag(file string, d config.Diagnostic) string {
	loc := file
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", file, d.Line, d.Column)
	}
	path := ""
	if d.Path != "" {
		path = d.Path + ": "
	}
	return fmt.Sprintf("%s: %s: %s%s", loc, d.Severity, path, d.Message)
}
