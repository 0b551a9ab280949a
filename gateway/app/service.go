package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// serviceFlags are install's flags for where the service goes.
func serviceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "user", Usage: "per-user service (systemd --user, launchd agent) instead of a system one"},
		&cli.StringFlag{Name: "root", Usage: "write the service file under `DIR` instead of / (packaging); nothing is started"},
	}
}

// installEnvFlags are install's flags for the service's environment file.
func installEnvFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "env", Usage: "store `NAME=VALUE` (or NAME, taking this environment's value) in the service's environment file <state-dir>/" + EnvFileName + "; repeatable. Without it, install stores the variables the config's env: keys name, when set here"},
		&cli.StringFlag{Name: "env-file", Usage: "store every NAME=VALUE line of `FILE` in the service's environment file too"},
	}
}

func serviceSpec(c *cli.Context) installers.Spec {
	return installers.Spec{
		Name:        "aperture",
		DisplayName: "aperture",
		Description: "aperture: LLM gateway on the tailnet",
		User:        c.Bool("user"),
		Root:        c.String("root"),
	}
}

// install installs the gateway as a service running with the flags given
// here, its state directory and config made absolute, and a literal auth
// key kept in the state directory rather than in the unit file.
func install(c *cli.Context, version string, stdout io.Writer) error {
	if c.NArg() > 0 {
		return usageError("install: unexpected argument %q", c.Args().First())
	}
	o, err := parseOptions(c, version)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	args := append([]string{"--state-dir", o.stateDir, "--config", o.configPath},
		tunnel.FlagArgs(c, flags(), "state-dir", "config", "database")...) // database: installEnv
	keyArg, err := tunnel.ServiceAuthKey(o.stateDir, o.node.AuthKey)
	if err != nil {
		return err
	}
	args = tunnel.ReplaceFlag(args, "authkey", keyArg)
	if err := installEnv(c, o, stdout); err != nil {
		return err
	}
	spec := serviceSpec(c)
	spec.Arguments = args
	if started, err := installers.InstallAndStart(spec, "aperture", stdout); err != nil || !started {
		return err
	}
	fmt.Fprintf(stdout, "started. It joins the tailnet as %q; its config is %s\n", o.hostname, o.configPath)
	return nil
}

// installEnv writes the service's environment file: the provider keys
// the config reads as env:NAME, from this environment and the --env and
// --env-file flags, over what the file already holds. It prints the names
// stored and where, and each reference nothing provides; never a value.
func installEnv(c *cli.Context, o options, stdout io.Writer) error {
	src, err := os.ReadFile(o.configPath)
	if errors.Is(err, os.ErrNotExist) {
		src = []byte(config.DefaultConfigText) // what the first start writes
	} else if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	path := envFilePath(o.stateDir)
	existing, err := readEnvFile(path)
	if err != nil {
		return err
	}
	var fromFile []envEntry
	if f := c.String("env-file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return usageError("--env-file: %v", err)
		}
		if fromFile, err = parseEnvFile(b); err != nil {
			return usageError("--env-file %s: %v", f, err)
		}
	}
	envFlags := c.StringSlice("env")
	if db := c.String("database"); db != "" {
		// In the 0600 file, not the unit: a URL may hold a password. A
		// SQLite path is made absolute, as --state-dir and --config are:
		// the service does not run from here.
		if !ledger.IsPostgresURL(db) {
			abs, err := filepath.Abs(db)
			if err != nil {
				return usageError("--database %s: %v", db, err)
			}
			db = abs
		}
		envFlags = append(envFlags, databaseEnv+"="+db)
	}
	env, err := buildServiceEnv(existing, configEnvRefs(src), fromFile, envFlags, os.LookupEnv)
	if err != nil {
		return err
	}
	if len(env.entries) > 0 {
		if err := writeEnvFile(path, env.entries); err != nil {
			return fmt.Errorf("writing the service's environment file: %w", err)
		}
		msg := "stored " + strings.Join(env.stored, ", ")
		if len(env.stored) == 0 {
			msg = "kept"
		}
		fmt.Fprintf(stdout, "aperture: %s in %s (mode 0600; the service reads it at start): it holds %s\n",
			msg, path, strings.Join(names(env.entries), ", "))
	}
	for _, r := range env.missing {
		fmt.Fprintf(stdout, "aperture: %s (%s) is not set here nor given with --env, so %s: "+
			"install again with --env %s=VALUE, --env-file FILE or sudo --preserve-env=%s, or use a literal or file: key there\n",
			r.Name, r.Path, missingEffect(r.Path), r.Name, r.Name)
	}
	return nil
}

// missingEffect says what a config field without its env: value does.
func missingEffect(path string) string {
	if rest, ok := strings.CutPrefix(path, "providers."); ok {
		id, _, _ := strings.Cut(rest, ".")
		return fmt.Sprintf("provider %s has no key and answers 503 until it has one", id)
	}
	return "that field has no value until it is set"
}
