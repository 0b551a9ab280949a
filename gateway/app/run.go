package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tsplug/ts-plug/gateway"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/identity"
	"github.com/tsplug/ts-plug/tunnel"
	"tailscale.com/client/tailscale/apitype"
)

// loadOrCreateConfig reads the config, writing the commented default
// first when the file does not exist.
func loadOrCreateConfig(path string, logf func(string, ...any)) (*config.Config, []byte, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, fmt.Errorf("creating config directory: %w", err)
		}
		src = []byte(config.DefaultConfigText)
		if err := os.WriteFile(path, src, 0o600); err != nil {
			return nil, nil, fmt.Errorf("writing default config: %w", err)
		}
		logf("no config at %s: wrote a commented default there; edit it (or, as an admin, the Settings page) to add provider keys", path)
	} else if err != nil {
		return nil, nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, diags, err := config.ParseFile(path, src)
	for _, d := range diags {
		logf("%s", formatDiag(path, d))
	}
	if err != nil {
		return nil, nil, invalidConfig(err)
	}
	return cfg, src, nil
}

func invalidConfig(err error) error {
	return fmt.Errorf("%w (fix the file; `aperture validate --config FILE` lists every problem)", err)
}

// run serves the gateway until ctx ends or SIGINT/SIGTERM.
func run(ctx context.Context, o options, stderr io.Writer) error {
	logf := log.New(stderr, "aperture: ", log.LstdFlags).Printf
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The profiles only, not tunnel.LimitMemoryAndProfile: the tunnels'
	// 128 MiB soft memory limit is for packet buffers that churn, and the
	// gateway holds whole request bodies (up to 50 MiB each, several at
	// once), so a limit under its live heap would keep the GC running
	// without freeing anything. GOMEMLIMIT still applies when set.
	stopProfile, err := tunnel.StartProfiles()
	if err != nil {
		return err
	}
	defer stopProfile()
	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	if err := loadEnvFile(o.stateDir, logf); err != nil { // provider keys for env: references
		return err
	}
	cfg, src, err := loadOrCreateConfig(o.configPath, logf)
	if err != nil {
		return err
	}
	replica, err := replicaID(o.stateDir, o.hostname)
	if err != nil {
		return err
	}
	meter, err := openMetering(o.stateDir, o.database, replica, cfg, logf)
	if err != nil {
		return err
	}
	// Closed last (defers run in reverse): the listeners have drained by
	// then, so every finished request is in the ledger.
	defer meter.Close()
	shared, err := openSharing(meter.ledger, databaseTarget(o.database, o.stateDir), replica, o.version, logf)
	if err != nil {
		return err
	}
	defer shared.Close()

	var node *tunnel.Node
	var device *deviceWatch // nil without a tailnet
	var whois identity.WhoIsFunc
	var transport http.RoundTripper // nil: the OS network only
	if !o.noTailnet {
		nodeCfg, err := o.node.NodeConfig(o.hostname, filepath.Join(o.stateDir, "tailnet"), logf)
		if err != nil {
			return usageError("%v", err)
		}
		logf("%s", joinPlan(nodeCfg.Hostname, nodeCfg.Dir, nodeCfg.AuthKey != "", nodeCfg.AdvertiseTags, nodeCfg.Ephemeral))
		if node, err = tunnel.NewNode(nodeCfg); err != nil {
			return err
		}
		if err := node.Start(ctx); err != nil {
			return err
		}
		defer node.Close()
		device = watchDevice(ctx, node, o.hostname, logf)
		lc, err := node.Server().LocalClient()
		if err != nil {
			return err
		}
		whois = func(ctx context.Context, addr string) (*apitype.WhoIsResponse, error) { return lc.WhoIs(ctx, addr) }
		transport = gateway.DialTransport(node.DialAuto) // providers may be tailnet devices (ts-plug)
	}

	logAdmins(o.admins, logf)
	// Stopped before the ledger closes and after the gateway has
	// recorded its last requests (defers run in reverse).
	exporter := startExport(meter.ledger, o.stateDir, transport, logf)
	defer stopExport(exporter, logf)
	gwOpts := gateway.Options{
		WhoIs: whois, Admins: o.admins, AllowedSecretRefs: o.secretRefs, Transport: transport, Ledger: meter.ledger, Store: meter.ledger, Quotas: meter.quotas, Logf: logf, Version: o.version,
		ConfigPath: o.configPath,
		Notices:    device.Notices,
		Metrics:    exporter.Register,
		Hostnames:  withServiceNames(hostnames(o.hostname, node), o.service, node),
		OnConfig: func(cfg *config.Config) {
			meter.ledger.SetRetention(&cfg.Database.Retention)
			exporter.Configure(cfg.Export.S3)
		},
	}
	shared.options(&gwOpts)
	gw, err := gateway.New(cfg, src, gwOpts)
	if err != nil {
		return err
	}
	// Replicas on one database run its config, before anything is served.
	if err := shared.start(ctx, src, gw, logf); err != nil {
		return err
	}

	var servers tunnel.Servers
	serve := func(ln net.Listener, h http.Handler, what string) {
		servers.Serve(&http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}, ln, what)
	}
	if o.listen != "" {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", o.listen, err)
		}
		serve(ln, gw.LocalHandler(), "local listener")
		logf("serving http://%s (callers there are \"(loopback)\"%s)", ln.Addr(), localTrust(o.admins))
	}
	if node != nil {
		ln, err := node.Server().Listen("tcp", ":80")
		if err != nil {
			return fmt.Errorf("tailnet port 80: %w", err)
		}
		serve(ln, gw, "tailnet :80")
		logf("joining the tailnet as %s; serving http://%s once connected", o.hostname, o.hostname)
		go func() {
			select {
			case <-node.Ready():
			case <-ctx.Done():
				return
			}
			// Some clients (Gemini CLI, Claude Desktop) insist on an
			// https FQDN: serve 443 too when the tailnet issues certs.
			if doms := node.Server().CertDomains(); len(doms) > 0 {
				tln, err := node.Server().ListenTLS("tcp", ":443")
				if err != nil {
					logf("HTTPS on :443 not served: %v", err)
					return
				}
				serve(tln, gw, "tailnet :443")
				logf("also serving https://%s", doms[0])
			}
		}()
	}
	svc := startService(ctx, o.service, node, serve, gw, servers.Fail, logf)

	// Started: most of the binary's resident pages were touched by
	// package initializers and startup alone (releaseStartupPages says
	// how much).
	if os.Getenv(keepStartupPagesEnv) == "" {
		if _, err := releaseStartupPages(); err != nil {
			logf("startup pages stay mapped: %v", err)
		}
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	kick := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	}()
	go gw.WatchConfig(ctx, o.configPath, time.Second, kick)

	select {
	case err := <-servers.Failed():
		return err
	case <-ctx.Done():
	}
	svc.withdraw() // first, so that the tailnet sends new callers elsewhere
	logf("shutting down: letting in-flight requests finish (up to %v)", o.shutdownGrace)
	if servers.Shutdown(o.shutdownGrace) {
		logf("grace period over; closed unfinished requests")
	}
	// Requests the grace period cut off are still being recorded, and
	// captures queued: let them reach the ledger before it closes.
	if !gw.Wait(10 * time.Second) {
		logf("some requests were still being recorded at exit; they may be missing from the ledger")
	}
	return nil
}

// hostnames lists the names the gateway answers to: its device name and,
// once on the tailnet, its MagicDNS name and certificate domains.
func hostnames(hostname string, node *tunnel.Node) func() []string {
	return func() []string {
		names := []string{hostname}
		if node != nil {
			if st := node.State(); st.DNSName != "" {
				names = append(names, st.DNSName)
			}
			names = append(names, node.Server().CertDomains()...)
		}
		return names
	}
}

// logAdmins says at start who the command line made admins, and how to
// add one when nobody was named: a fresh config has no admins.
func logAdmins(admins []string, logf func(string, ...any)) {
	if len(admins) == 0 {
		logf("no --admin given: only the config's grants make admins, and a fresh config names only a placeholder. %s", config.AdminHowTo)
		return
	}
	logf("admins by the command line, whatever the config says: %s", strings.Join(admins, ", "))
}

// localTrust says whether the local listener's callers are admins by the
// command line.
func localTrust(admins []string) string {
	if slices.Contains(admins, identity.Loopback) {
		return ", admins by --local-admin"
	}
	return "; admins only with --local-admin or a \"(loopback)\" admin grant"
}
