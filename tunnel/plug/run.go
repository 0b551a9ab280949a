package plug

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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tsplug/ts-plug/tunnel"
)

// statusReport is what `ts-plug status` prints for a running instance.
type statusReport struct {
	Version       string   `json:"version"`
	PID           int      `json:"pid"`
	Started       string   `json:"started"`
	Serving       []string `json:"serving"`
	UpstreamReady bool     `json:"upstream_ready"`
	Command       string   `json:"command,omitempty"`
	CommandPID    int      `json:"command_pid,omitempty"`
	tunnel.State
	Served tunnel.StatsSnapshot `json:"served"`
}

// waitHint is how long the local server may take to answer before the
// log says ts-plug is still waiting for it.
const waitHint = 10 * time.Second

// plug is one run of ts-plug: the tailnet device, the listeners on it and
// the started command.
type plug struct {
	o     options
	logf  func(string, ...any)
	node  *tunnel.Node
	stats *tunnel.Stats
	whois WhoIsFunc
	// answered[i] is closed once the local server of o.mappings[i] has
	// answered.
	answered []chan struct{}
	ready    atomic.Bool // the device is up and every local server answered
	// servers serve the tailnet ports; the first that fails stops ts-plug.
	servers tunnel.Servers
}

// run plugs the local server(s) into the tailnet until ctx ends or the
// command exits, then stops the command and returns ts-plug's exit error.
func run(ctx context.Context, o options, version string, stdout, stderr io.Writer) error {
	logf := log.New(stderr, "ts-plug: ", log.LstdFlags).Printf
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &plug{o: o, logf: logf, node: node, stats: new(tunnel.Stats)}

	var ch *child
	var childPID atomic.Int64 // for the status goroutine
	started := time.Now()
	snapshot := func() any {
		r := statusReport{
			Version: version, PID: os.Getpid(), Started: started.UTC().Format(time.RFC3339),
			UpstreamReady: p.ready.Load(), State: node.State(), Served: p.stats.Snapshot(),
		}
		for _, m := range o.mappings {
			r.Serving = append(r.Serving, m.String())
		}
		if pid := childPID.Load(); pid != 0 {
			r.Command, r.CommandPID = strings.Join(o.command, " "), int(pid)
		}
		return r
	}
	// Before the command starts: a second ts-plug on this state dir must
	// not start a second copy of the server.
	if err := tunnel.ServeStatus(ctx, filepath.Join(o.dir, tunnel.StatusSocketName), snapshot); err != nil {
		return err
	}

	if len(o.command) > 0 {
		// Catch the signals before the command exists, so none is lost.
		sigc := make(chan os.Signal, 8)
		signal.Notify(sigc, forwardedSignals...)
		defer signal.Stop(sigc)
		if ch, err = startChild(o.command, p.childEnv(), stdout, stderr); err != nil {
			return err
		}
		childPID.Store(int64(ch.Pid()))
		logf("started %s (pid %d)", strings.Join(o.command, " "), ch.Pid())
		go func() {
			for {
				select {
				case s := <-sigc:
					if sig, ok := s.(syscall.Signal); ok {
						ch.forward(sig)
					}
				case <-ch.done:
					return
				}
			}
		}()
	}

	// The command is already starting (a model may take a while to
	// load) while the device joins the tailnet.
	if err := node.Start(ctx); err != nil {
		p.shutdown(ch)
		return err
	}
	defer node.Close()
	lc, err := node.Server().LocalClient()
	if err != nil {
		p.shutdown(ch)
		return fmt.Errorf("tailnet device %q: %w", o.hostname, err)
	}
	p.whois = lc.WhoIs

	if err := p.listen(ctx); err != nil {
		cancel() // a TCP forwarder already started stops with ctx; shutdown waits for it
		p.shutdown(ch)
		return err
	}
	go p.reportReady(ctx)

	var childDone <-chan struct{}
	if ch != nil {
		childDone = ch.done
	}
	var runErr error
	select {
	case <-ctx.Done():
	case <-childDone:
	case runErr = <-p.servers.Failed():
	}
	stopping := ctx.Err() != nil
	cancel()
	p.shutdown(ch)
	if runErr != nil {
		return runErr
	}
	if ch == nil {
		return nil
	}
	code, why := ch.exitCode()
	if stopping {
		logf("stopped: %s", why)
	} else {
		logf("%s; ts-plug is done", why)
	}
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}

// childEnv tells the command where to listen and how it is reached.
func (p *plug) childEnv() []string {
	env := []string{"TS_PLUG_HOSTNAME=" + p.o.hostname, "TS_PLUG_URL=http://" + p.o.hostname}
	if port, ok := childPort(p.o.mappings); ok {
		env = append(env, "PORT="+strconv.Itoa(port))
	}
	return env
}

// listen opens the tailnet ports. HTTPS (and the port 80 redirect) waits
// for the device to be up, since only then is it known whether the
// tailnet issues certificates.
func (p *plug) listen(ctx context.Context) error {
	p.answered = make([]chan struct{}, len(p.o.mappings))
	for i, m := range p.o.mappings {
		p.answered[i] = make(chan struct{})
		if m.Kind == kindRedirect {
			close(p.answered[i])
		} else {
			go waitAnswer(ctx, m, p.answered[i])
		}
		switch m.Kind {
		case kindHTTP:
			ln, err := p.node.Server().Listen("tcp", ":"+strconv.Itoa(m.Port))
			if err != nil {
				return fmt.Errorf("%s: tailnet port %d: %w", m.Flag, m.Port, err)
			}
			p.serve(ln, p.handler(m, p.answered[i]), m.String())
		case kindTCP:
			ln, err := p.node.Server().Listen("tcp", ":"+strconv.Itoa(m.Port))
			if err != nil {
				return fmt.Errorf("%s: tailnet port %d: %w", m.Flag, m.Port, err)
			}
			f := &tunnel.TCPForwarder{Addr: m.Target.Addr(), Dial: (&net.Dialer{}).DialContext,
				Stats: p.stats, DialTimeout: p.o.timeouts.Dial, Logf: p.logf}
			p.servers.Go(func() error {
				if err := f.Serve(ctx, ln); err != nil {
					return fmt.Errorf("%s: %w", m, err)
				}
				return nil
			})
		}
	}
	if p.o.https {
		go func() {
			select {
			case <-p.node.Ready():
			case <-ctx.Done():
				return
			}
			if err := p.listenHTTPS(); err != nil {
				p.servers.Fail(err)
			}
		}()
	}
	return nil
}

// ErrNoCerts is the failure of -https on a tailnet without HTTPS
// certificates.
var ErrNoCerts = errors.New("the tailnet does not offer HTTPS certificates (enable HTTPS in the admin console)")

func (p *plug) listenHTTPS() error {
	doms := p.node.Server().CertDomains()
	if len(doms) == 0 {
		return fmt.Errorf("-https: %w", ErrNoCerts)
	}
	for i, m := range p.o.mappings {
		var ln net.Listener
		var err error
		switch {
		case m.Kind == kindHTTPS && p.o.funnel:
			ln, err = p.node.Server().ListenFunnel("tcp", ":"+strconv.Itoa(m.Port))
			if err != nil {
				return fmt.Errorf("-funnel: %w (Funnel must be allowed for this device in the tailnet policy: the \"funnel\" node attribute)", err)
			}
		case m.Kind == kindHTTPS:
			ln, err = p.node.Server().ListenTLS("tcp", ":"+strconv.Itoa(m.Port))
		case m.Kind == kindRedirect:
			ln, err = p.node.Server().Listen("tcp", ":"+strconv.Itoa(m.Port))
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: tailnet port %d: %w", m.Flag, m.Port, err)
		}
		if m.Kind == kindRedirect {
			p.serve(ln, redirectToHTTPS(doms[0]), m.String())
		} else {
			p.serve(ln, p.handler(m, p.answered[i]), m.String())
		}
	}
	return nil
}

// handler is the chain for one HTTP mapping: count, wait for the local
// server's first answer, set identity headers, proxy.
func (p *plug) handler(m mapping, answered <-chan struct{}) http.Handler {
	proxy := newUpstreamProxy(m.Target, tunnel.NewTransport((&net.Dialer{}).DialContext, p.o.timeouts))
	var h http.Handler = &identify{whois: p.whois, prefixes: p.o.capsPrefixes, next: proxy}
	h = upstreamGate(answered, m.Target, h)
	return p.stats.Count(h)
}

// serve runs an HTTP server on ln until shutdown.
func (p *plug) serve(ln net.Listener, h http.Handler, what string) {
	p.servers.Serve(&http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnContext:       markFunnel,
		// No ReadTimeout or WriteTimeout: an LLM stream may last minutes.
	}, ln, what)
}

// reportReady logs once the device is up and every local server answers,
// and says what it is still waiting for when that takes long.
func (p *plug) reportReady(ctx context.Context) {
	select {
	case <-p.node.Ready():
	case <-ctx.Done():
		return
	}
	hint := time.NewTimer(waitHint)
	defer hint.Stop()
	for i, m := range p.o.mappings {
		for waiting := true; waiting; {
			select {
			case <-p.answered[i]:
				waiting = false
			case <-hint.C:
				p.logf("waiting for the plugged server %s to answer (is it running?)", m.Target)
			case <-ctx.Done():
				return
			}
		}
	}
	p.ready.Store(true)
	name := p.node.State().DNSName
	if name == "" {
		name = p.o.hostname
	}
	var urls []string
	for _, m := range p.o.mappings {
		switch m.Kind {
		case kindHTTP:
			urls = append(urls, fmt.Sprintf("http://%s%s -> %s", name, portSuffix(m.Port, 80), m.Target))
		case kindHTTPS:
			urls = append(urls, fmt.Sprintf("https://%s%s -> %s", name, portSuffix(m.Port, 443), m.Target))
		case kindTCP:
			urls = append(urls, fmt.Sprintf("%s:%d -> tcp %s", name, m.Port, m.Target.Addr()))
		}
	}
	p.logf("ready: %s", strings.Join(urls, ", "))
}

func portSuffix(port, def int) string {
	if port == def {
		return ""
	}
	return ":" + strconv.Itoa(port)
}

// shutdown stops the command (its stop signal first, SIGKILL after
// -stop-grace) while the servers let in-flight requests finish (up to
// -shutdown-grace), and waits for both.
func (p *plug) shutdown(ch *child) {
	var wg sync.WaitGroup
	if ch != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch.stop(syscall.SIGTERM, p.o.stopGrace, p.logf)
		}()
	}
	p.servers.Shutdown(p.o.shutdownGrace)
	wg.Wait()
}
