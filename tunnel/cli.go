package tunnel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
	"tailscale.com/atomicfile"
)

// NewApp is the cli.App each binary starts from, named name: help and
// version go to stdout, errors to stderr; there is no help subcommand; a
// flag the binary does not know is a usage error (exit status 2) that
// points at --help; and every error comes back from Run for ExitStatus,
// where cli's default would os.Exit from inside Run (and kill an
// in-process caller, such as a test). The binary adds its usage, flags,
// action and commands.
func NewApp(name, version string, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:            name,
		Version:         version,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return cli.Exit(fmt.Sprintf("%s: %v (see %s --help)", name, err, name), 2)
		},
	}
}

// ExitStatus turns the error of a command's cli.App.Run into its exit
// status, printing the error: an exit-coded error (usage errors are 2)
// keeps its code, anything else is a runtime failure, 1. NewApp's app
// returns every error instead of exiting the process itself.
func ExitStatus(prog string, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
	return 1
}

// ParseTags reads an -advertise-tags value ("tag:a,tag:b"). The error
// names the bad tag, for a usage error.
func ParseTags(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var tags []string
	for _, tag := range strings.Split(s, ",") {
		tag = strings.TrimSpace(tag)
		if !strings.HasPrefix(tag, "tag:") || len(tag) == len("tag:") {
			return nil, fmt.Errorf("%q is not a tag (tags look like tag:name)", tag)
		}
		tags = append(tags, tag)
	}
	return tags, nil
}

// ServiceAuthKey keeps a literal auth key out of a service's unit file,
// which is world-readable: it saves the key as <dir>/authkey and returns
// the -authkey value that reads it back. A "file:" or empty flag is
// returned as is. The file is written whole or not at all (a crash never
// leaves half a key), is 0600 even if an older file was not, and is never
// written through a symlink: one at that path (planted to have the key
// written where someone else can read it) is refused.
func ServiceAuthKey(dir, flag string) (string, error) {
	if flag == "" || strings.HasPrefix(flag, "file:") {
		return flag, nil
	}
	p := filepath.Join(dir, "authkey")
	if err := writeSecretFile(p, []byte(flag+"\n")); err != nil {
		return "", fmt.Errorf("saving auth key: %w", err)
	}
	return "file:" + p, nil
}

// writeSecretFile writes data to path atomically with mode 0600, refusing
// to replace anything but a regular file.
func writeSecretFile(path string, data []byte) error {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file (a symlink?); remove it and retry", path)
	}
	return atomicfile.WriteFile(path, data, 0o600)
}

// ReplaceFlag sets the value following every "-name" in args.
func ReplaceFlag(args []string, name, value string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-"+name {
			args[i+1] = value
		}
	}
	return args
}

// FlagArgs rebuilds, as "-name value" arguments, the flags of flags that
// were set on the command line (except skip), so that a service runs with
// exactly what the user gave to install.
func FlagArgs(c *cli.Context, flags []cli.Flag, skip ...string) []string {
	var args []string
	for _, f := range flags {
		name := f.Names()[0]
		if !c.IsSet(name) || slices.Contains(skip, name) {
			continue
		}
		switch f.(type) {
		case *cli.BoolFlag:
			if c.Bool(name) {
				args = append(args, "-"+name)
			}
		case *cli.StringSliceFlag:
			for _, v := range c.StringSlice(name) {
				args = append(args, "-"+name, v)
			}
		case *cli.IntFlag:
			args = append(args, "-"+name, fmt.Sprint(c.Int(name)))
		case *cli.DurationFlag:
			args = append(args, "-"+name, c.Duration(name).String())
		default:
			args = append(args, "-"+name, c.String(name))
		}
	}
	return args
}

// FetchStatusFor asks the instance of prog whose state directory is dir
// for its status. When none answers, the error says so (exit status 1),
// after printing the service manager's view when there is one (service
// is "" when unknown).
func FetchStatusFor(ctx context.Context, prog, dir, service string, stdout io.Writer) (json.RawMessage, error) {
	raw, err := FetchStatus(ctx, filepath.Join(dir, StatusSocketName))
	if err != nil {
		if service != "" {
			fmt.Fprintf(stdout, "service: %s\n", service)
		}
		return nil, cli.Exit(fmt.Sprintf("%s is not running with state dir %s (pass -dir if it uses another)", prog, dir), 1)
	}
	return raw, nil
}

// PrintState prints the lines of `status` that every binary shares: the
// service manager's view (if any), the node's state and what to do about
// it, device name, tailnet IPs and a pending login URL.
func PrintState(w io.Writer, service string, st State) {
	if service != "" {
		fmt.Fprintf(w, "service:     %s\n", service)
	}
	fmt.Fprintf(w, "state:       %s\n", st.Phase)
	fmt.Fprintf(w, "             %s\n", st.Message())
	fmt.Fprintf(w, "device:      %s\n", orDash(st.DeviceName()))
	fmt.Fprintf(w, "tailnet IPs: %s\n", orDash(strings.Join(st.IPs, ", ")))
	if st.LoginName != "" {
		fmt.Fprintf(w, "login:       %s\n", st.LoginName)
	}
	if st.AuthURL != "" {
		fmt.Fprintf(w, "login URL:   %s\n", st.AuthURL)
	}
}

// StateDir is the absolute state directory of a binary: the -dir flag's
// value, or <user config dir>/<prog>/<hostname> by default. The error
// names the flag to pass, for a usage error.
func StateDir(prog, flag, hostname string) (string, error) {
	dir := flag
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("no default state directory (%v): pass -dir", err)
		}
		dir = filepath.Join(base, prog, hostname)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("-dir: %w", err)
	}
	return abs, nil
}
