package unplug

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tsplug/ts-plug/installers/servicecmd"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/tsplug/ts-plug/tunnel/hostsfile"
	"github.com/urfave/cli/v2"
)

// The --https name must resolve to 127.0.0.1 here, which only the hosts
// file can make so for one name, and only an administrator may edit it.
// But the name is known only once the device is up, and ts-unplug's
// service runs as the user, not root. So:
//   - the running ts-unplug writes the name to <state dir>/https-name as
//     soon as it knows it, and maps it itself when it may (a service
//     running as root, or as LocalSystem on Windows);
//   - `sudo ts-unplug install --https` maps it right away when the device
//     has run before (the name file is there), else waits a little for the
//     service to come up and learn it;
//   - otherwise `sudo ts-unplug hosts` maps it once the device is up, and
//     the log and `status` say to run it;
//   - `uninstall` removes the line of that name that ts-unplug wrote, and
//     nothing else.

// hostsMarker ends every hosts line ts-unplug writes.
const hostsMarker = "ts-unplug"

// loopbackV4 is where the --https name points.
var loopbackV4 = netip.MustParseAddr("127.0.0.1")

func hostsFile(path string) hostsfile.File {
	if path == "" {
		path = hostsfile.DefaultPath()
	}
	return hostsfile.File{Path: path, Marker: hostsMarker}
}

// readHTTPSName is the name the ts-unplug with state dir serves HTTPS
// under, if it has learned one.
//
// `sudo ts-unplug hosts` and `sudo ts-unplug install` read it as root from
// a directory the service's unprivileged account can write, so what is
// there is not trusted: it must be a regular file (not a link, a FIFO
// that would block, or a device), only its first bytes are read, and the
// name must be a tailnet name (under .ts.net, where the tailnet's
// certificates are), so it cannot point anyone's archive.ubuntu.com at
// this machine.
func readHTTPSName(dir string) (string, bool) {
	path := filepath.Join(dir, httpsNameFile)
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	// Non-blocking: a FIFO swapped in after the Lstat must not hold root
	// here (the Stat below then refuses it).
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxHTTPSNameFile))
	if err != nil {
		return "", false
	}
	name := strings.TrimSpace(string(b))
	return name, tailnetCertName(name)
}

// maxHTTPSNameFile bounds the name file's read: a DNS name is at most 253
// bytes.
const maxHTTPSNameFile = 512

// tailnetCertName reports whether name can be a tailnet device's HTTPS
// name: a DNS name under ts.net, with a device and a tailnet label.
func tailnetCertName(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	rest, ok := strings.CutSuffix(name, ".ts.net")
	if !ok || strings.Count(rest, ".") < 1 || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(rest, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
				return false
			}
		}
	}
	return true
}

func writeHTTPSName(dir, name string) error {
	if old, ok := readHTTPSName(dir); ok && old == name {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, httpsNameFile), []byte(name+"\n"), 0o644)
}

// sudoHint is how to run cmd as an administrator here.
func sudoHint(cmd string) string {
	if runtime.GOOS == "windows" {
		return cmd + "` from an administrator prompt"
	}
	return "sudo " + cmd + "`"
}

// mapName makes name resolve to 127.0.0.1 in the hosts file and says what
// it did in a sentence for the log or the terminal.
func mapName(hf hostsfile.File, name string) (string, error) {
	m, ok, err := hf.Lookup(name)
	if err == nil && ok && m.IP.IsLoopback() {
		return fmt.Sprintf("%s already resolves to %s here (%s line %d)", name, m.IP, hf.Path, m.Line), nil
	}
	changed, err := hf.Add(loopbackV4, name)
	if err != nil {
		return "", err
	}
	if !changed {
		return fmt.Sprintf("%s already resolves to %s here (%s)", name, loopbackV4, hf.Path), nil
	}
	return fmt.Sprintf("added `%s %s # %s` to %s", loopbackV4, name, hostsMarker, hf.Path), nil
}

// whenUp runs once the device is up: it learns the name, records it,
// fetches the certificate (the first one can take a while to be issued)
// and maps the name if it may, logging what it did and what is left to
// do.
func (h *localHTTPS) whenUp(ctx context.Context, dir, hostsPath, hostsCmd string) {
	name, err := h.src.Name()
	if err != nil {
		h.logf("HTTPS on %s: %v", h.listen, err)
		return
	}
	if err := writeHTTPSName(dir, name); err != nil {
		h.logf("HTTPS: recording the name in the state directory: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	c, err := h.certificate(cctx, name)
	cancel()
	if err != nil {
		h.logf("HTTPS on %s: %v", h.listen, err)
		return
	}
	hf := hostsFile(hostsPath)
	if m, ok, err := hf.Lookup(name); err == nil && ok && m.IP.IsLoopback() {
		h.logf("HTTPS at %s (certificate valid until %s; %s maps the name to %s)", h.url(), c.Leaf.NotAfter.Format("2006-01-02"), hf.Path, m.IP)
		return
	}
	what, err := mapName(hf, name)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			h.logf("HTTPS at %s once %s resolves to %s here: run `%s to add it to %s (or add `%s %s` yourself)",
				h.url(), name, loopbackV4, sudoHint(hostsCmd), hf.Path, loopbackV4, name)
			return
		}
		h.logf("HTTPS at %s once %s resolves to %s here: %v", h.url(), name, loopbackV4, err)
		return
	}
	h.logf("HTTPS at %s (certificate valid until %s); %s", h.url(), c.Leaf.NotAfter.Format("2006-01-02"), what)
}

// hostsCommand is `ts-unplug hosts`: map (or with --remove unmap) the
// --https name of a ts-unplug in the hosts file.
func hostsCommand(stdout io.Writer, e env) *cli.Command {
	return &cli.Command{
		Name:  "hosts",
		Usage: "map the --https name of the running (or installed) ts-unplug to 127.0.0.1 in the hosts file; needs sudo",
		Flags: []cli.Flag{servicecmd.UserFlag(),
			&cli.StringFlag{Name: "dir", Usage: "state `DIR` of the instance (default: the installed service's, else as a run would pick)"},
			&cli.StringFlag{Name: "hostname", Usage: "tailnet device `NAME` of the instance, to find its default state dir"},
			&cli.BoolFlag{Name: "remove", Usage: "remove the line ts-unplug wrote for the name instead"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("hosts takes no arguments")
			}
			dir, err := instanceDir(c, e)
			if err != nil {
				return err
			}
			name, ok := readHTTPSName(dir)
			if !ok {
				return cli.Exit(fmt.Sprintf("ts-unplug: no --https name recorded in %s yet: start ts-unplug with --https "+
					"and let the device come up (`ts-unplug status`), then run this again", dir), 1)
			}
			hf := hostsFile(e.hostsPath)
			if c.Bool("remove") {
				removed, err := hf.Remove(name)
				if err != nil {
					return err
				}
				if len(removed) == 0 {
					fmt.Fprintf(stdout, "ts-unplug: %s has no line of ts-unplug's for %s\n", hf.Path, name)
				}
				for _, l := range removed {
					fmt.Fprintf(stdout, "ts-unplug: removed `%s` from %s\n", l, hf.Path)
				}
				return nil
			}
			what, err := mapName(hf, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "ts-unplug: %s\n", what)
			return nil
		},
	}
}

// instanceDir is the state dir of the ts-unplug a command acts on:
// --dir, else the installed service's, else a foreground run's default
// (as status finds it).
func instanceDir(c *cli.Context, e env) (string, error) {
	dir := c.String("dir")
	if dir == "" {
		if svc, ok, err := e.program().Find(c); err != nil {
			return "", err
		} else if ok {
			dir, _ = svc.Flag("dir")
		}
	}
	if dir == "" {
		hostname := c.String("hostname")
		if hostname == "" {
			hostname = defaultHostname()
		}
		var err error
		if dir, err = tunnel.StateDir("ts-unplug", "", hostname); err != nil {
			return "", usageError("%v", err)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", usageError("-dir: %v", err)
	}
	return abs, nil
}

// mapAfterInstall maps the name of a just-installed --https service: at
// once when the device has run before, else once the service has learned
// it (up to wait). It never fails the install: it says what is left to do.
func mapAfterInstall(stdout io.Writer, dir, hostsPath string, wait time.Duration, hostsCmd string) {
	name, ok := readHTTPSName(dir)
	for deadline := time.Now().Add(wait); !ok && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		name, ok = readHTTPSName(dir)
	}
	if !ok {
		fmt.Fprintf(stdout, "ts-unplug: the device's --https name is not known yet (it is known once the device is up): then run `%s to map it to %s in the hosts file\n",
			sudoHint(hostsCmd), loopbackV4)
		return
	}
	what, err := mapName(hostsFile(hostsPath), name)
	if errors.Is(err, fs.ErrPermission) {
		fmt.Fprintf(stdout, "ts-unplug: %s must resolve to %s here, and only an administrator may edit the hosts file: run `%s\n",
			name, loopbackV4, sudoHint(hostsCmd))
		return
	}
	if err != nil {
		fmt.Fprintf(stdout, "ts-unplug: %s must resolve to %s here: %v\n", name, loopbackV4, err)
		return
	}
	fmt.Fprintf(stdout, "ts-unplug: %s\n", what)
}

// unmapAfterUninstall removes the hosts line ts-unplug wrote for the
// uninstalled service's --https name, and says so ("" when there was
// none).
func unmapAfterUninstall(svc servicecmd.Service, hostsPath string) string {
	dir, ok := svc.Flag("dir")
	if !ok || !usesHTTPS(svc.Installed.Arguments) {
		return ""
	}
	name, ok := readHTTPSName(dir)
	if !ok {
		return ""
	}
	hf := hostsFile(hostsPath)
	removed, err := hf.Remove(name)
	if err != nil {
		return fmt.Sprintf("the hosts line for %s is left: %v", name, err)
	}
	if len(removed) == 0 {
		return ""
	}
	return fmt.Sprintf("removed `%s` from %s", strings.Join(removed, "`, `"), hf.Path)
}

// usesHTTPS reports whether a service's arguments turn on --https.
func usesHTTPS(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		bare := strings.TrimLeft(a, "-")
		if bare == a {
			continue
		}
		if bare == "https" || bare == "https=true" || bare == "https-port" || strings.HasPrefix(bare, "https-port=") {
			return true
		}
	}
	return false
}
