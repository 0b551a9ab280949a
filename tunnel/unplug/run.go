package unplug

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
)

// statusReport is what `ts-unplug status` prints for a running instance.
type statusReport struct {
	Version string `json:"version"`
	PID     int    `json:"pid"`
	Started string `json:"started"`
	Mode    string `json:"mode"`
	Listen  string `json:"listen"`
	Target  string `json:"target"`
	// HTTPS is the https:// URL of --https once the name is known;
	// HTTPSProblem says why it cannot serve yet.
	HTTPS        string `json:"https,omitempty"`
	HTTPSListen  string `json:"https_listen,omitempty"`
	HTTPSProblem string `json:"https_problem,omitempty"`
	// HostsFile is the hosts file it maps the name in, when not the
	// system's.
	HostsFile string `json:"hosts_file,omitempty"`
	tunnel.State
	Served tunnel.StatsSnapshot `json:"served"`
}

// run is the foreground proxy: it opens the local port at once, joins the
// tailnet in the background, and forwards until ctx ends.
func run(ctx context.Context, o options, version string) error {
	logf := log.New(os.Stderr, "ts-unplug: ", log.LstdFlags).Printf
	window, stopProfile, err := tunnel.LimitMemoryAndProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	cfg, err := o.node.NodeConfig(o.hostname, o.dir, logf)
	if err != nil {
		return usageError("%v", err)
	}
	cfg.MaxReceiveWindow = window
	node, err := tunnel.NewNode(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another ts-unplug running? pick another -port)", o.listen, err)
	}
	defer ln.Close()
	var https *localHTTPS
	var tlsLn net.Listener
	if o.httpsListen != "" {
		if tlsLn, err = net.Listen("tcp", o.httpsListen); err != nil {
			return fmt.Errorf("cannot listen on %s for --https: %w (pick another --https-port)", o.httpsListen, err)
		}
		defer tlsLn.Close()
		https = newLocalHTTPS(tailnetCerts{node}, o.httpsListen, logf)
	}
	if o.warnNonLoopback {
		logf("WARNING: listening on %s, which is not loopback: anyone who can reach this address uses the tailnet as device %s", o.listen, o.hostname)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := node.Start(ctx); err != nil {
		return err
	}
	defer node.Close()
	go func() {
		// Who the device is decides who is billed (an auth key decides
		// it silently), so say it once the device is up.
		select {
		case <-node.Ready():
			line := node.State().UpLine("ts-unplug")
			if u := https.url(); u != "" {
				line += "; HTTPS at " + u
			}
			logf("%s", line)
			if https != nil {
				https.whenUp(ctx, o.dir, o.hostsFile, hostsCommandFor(o.dir))
			}
		case <-ctx.Done():
		}
	}()

	stats := new(tunnel.Stats)
	started := time.Now()
	snapshot := func() any {
		r := statusReport{
			Version: version, PID: os.Getpid(), Started: started.UTC().Format(time.RFC3339),
			Mode: o.mode, Listen: o.listen, Target: o.target.String(),
			State: node.State(), Served: stats.Snapshot(),
		}
		if https != nil {
			r.HTTPS, r.HTTPSListen, r.HTTPSProblem, r.HostsFile = https.url(), o.httpsListen, https.problem(), o.hostsFile
		}
		return r
	}
	if err := tunnel.ServeStatus(ctx, filepath.Join(o.dir, tunnel.StatusSocketName), snapshot); err != nil {
		return err
	}

	if o.mode == "tcp" {
		logf("forwarding tcp %s -> %s over the tailnet as device %s", o.listen, o.target.Addr(), o.hostname)
		f := &tunnel.TCPForwarder{Addr: o.target.Addr(), Dial: node.Dial, Stats: stats, Ready: node.Ready(),
			DialTimeout: o.timeouts.Dial, Logf: logf}
		return f.Serve(ctx, ln)
	}

	fwd := tunnel.NewHTTPForwarder(o.target, tunnel.NewTransport(node.Dial, o.timeouts))
	if o.localUsers {
		fwd.SetHeaders = tunnel.SetLocalUserHeader(logf)
	}
	var h http.Handler = tunnel.ReadyGate(node, statusCommand(o.dir), fwd)
	h = https.guard(o.allowHosts, o.allowOrigins, h)
	h = stats.Count(h)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No ReadTimeout or WriteTimeout: an LLM stream may last minutes.
	}
	if o.localUsers {
		// Each connection's local user, looked up as it is accepted.
		srv.ConnContext = tunnel.LocalUserConnContext
	}
	logf("listening on http://%s -> %s as tailnet device %s (state in %s)", o.listen, o.target, o.hostname, o.dir)
	errc := make(chan error, 2)
	if https != nil {
		srv.TLSConfig = https.tlsConfig()
		logf("HTTPS on %s under the device's tailnet name, once it is up", o.httpsListen)
		go func() { errc <- srv.ServeTLS(tlsLn, "", "") }()
	}
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving %s: %w", o.listen, err)
	case <-ctx.Done():
	}
	logf("shutting down: letting in-flight requests finish (up to %v)", o.shutdownGrace)
	sctx, scancel := context.WithTimeout(context.Background(), o.shutdownGrace)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	} else if err != nil {
		logf("grace period over; closing %d unfinished request(s)", stats.InFlight.Load())
		srv.Close()
	}
	return nil
}

// statusCommand is the command that shows this instance's state, login
// URL included, to the user who runs it (the 503 before login points
// there).
func statusCommand(dir string) string {
	if strings.ContainsAny(dir, " \t'\"") {
		dir = strconv.Quote(dir)
	}
	return "ts-unplug status -dir " + dir
}

// hostsCommandFor is the command that maps this instance's --https name.
func hostsCommandFor(dir string) string {
	return "ts-unplug hosts" + strings.TrimPrefix(statusCommand(dir), "ts-unplug status")
}
