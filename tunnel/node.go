package tunnel

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"tailscale.com/client/local"
	"tailscale.com/ipn"
	"tailscale.com/net/netns"
	"tailscale.com/tsnet"
	"tailscale.com/types/logger"
)

// disableNetnsEnv, set to 1, turns off tailscale's netns (binding
// sockets to an interface or fwmark) for every node of the process.
// internal/tailnettest sets it for the binaries it starts: its tailnet
// runs on loopback, where netns only gets in the way (tailscale's own
// tests turn it off the same way). Nothing else sets it.
const disableNetnsEnv = "TSPLUG_TEST_DISABLE_NETNS"

// applyTestNetns turns netns off when disableNetnsEnv asks; NewNode calls
// it, before any tsnet server of the process starts.
func applyTestNetns() {
	if os.Getenv(disableNetnsEnv) == "1" {
		netns.SetEnabled(false)
	}
}

// NodeConfig describes the tailnet device a binary runs as.
type NodeConfig struct {
	Hostname      string
	Dir           string // state directory, created 0700
	ControlURL    string // empty: Tailscale's
	AuthKey       string
	Ephemeral     bool
	AdvertiseTags []string
	// MaxReceiveWindow, if positive, caps the TCP receive window of the
	// node's connections (tailscale's default is up to 8 MiB); see
	// LimitedReceiveWindow for why ts-unplug and ts-plug set it.
	MaxReceiveWindow int
	// Verbose sends tsnet's own (very chatty) logs to Logf.
	Verbose bool
	// Logf receives state changes (login URL, approval, running) once each.
	Logf logger.Logf
}

// Node is a tsnet device with a watched state, shared by ts-unplug,
// ts-plug and aperture.
type Node struct {
	cfg NodeConfig
	srv *tsnet.Server
	lc  *local.Client

	mu    sync.Mutex // serializes state updates
	state atomic.Pointer[State]
	ready chan struct{} // closed when first Running
	once  sync.Once
}

// NewNode validates cfg and prepares the node; Start brings it up.
func NewNode(cfg NodeConfig) (*Node, error) {
	if cfg.Hostname == "" {
		return nil, errors.New("a tailnet device name is required")
	}
	if cfg.Dir == "" {
		return nil, errors.New("a state directory is required")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	cfg.Dir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	applyTestNetns()
	srv := &tsnet.Server{
		Hostname:      cfg.Hostname,
		Dir:           dir,
		ControlURL:    cfg.ControlURL,
		AuthKey:       cfg.AuthKey,
		Ephemeral:     cfg.Ephemeral,
		AdvertiseTags: cfg.AdvertiseTags,
		Logf:          logger.Discard,
		// tsnet's UserLogf repeats the login URL every few seconds; the
		// state watcher below says it once per change instead.
		UserLogf: logger.Discard,
	}
	if cfg.Verbose {
		srv.Logf = cfg.Logf
		srv.UserLogf = cfg.Logf
	}
	n := &Node{cfg: cfg, srv: srv, ready: make(chan struct{})}
	n.state.Store(&State{Phase: PhaseStarting, Hostname: cfg.Hostname, ControlURL: cfg.ControlURL})
	return n, nil
}

// Server is the underlying tsnet server.
func (n *Node) Server() *tsnet.Server { return n.srv }

// Dial dials addr over the tailnet.
func (n *Node) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return n.srv.Dial(ctx, network, addr)
}

// Start starts the node without waiting for it to be Running, and watches
// its state until ctx ends or the node is closed.
func (n *Node) Start(ctx context.Context) error {
	if err := n.srv.Start(); err != nil {
		return fmt.Errorf("starting tailnet device %q: %w", n.cfg.Hostname, err)
	}
	if n.cfg.MaxReceiveWindow > 0 {
		ns, ok := n.srv.Sys().Netstack.GetOK()
		if !ok {
			return fmt.Errorf("tailnet device %q has no network stack to size", n.cfg.Hostname)
		}
		if err := capReceiveWindow(ns.(transportOptionSetter), n.cfg.MaxReceiveWindow); err != nil {
			return fmt.Errorf("tailnet device %q: %w", n.cfg.Hostname, err)
		}
	}
	lc, err := n.srv.LocalClient()
	if err != nil {
		return fmt.Errorf("tailnet device %q: %w", n.cfg.Hostname, err)
	}
	n.lc = lc
	go n.watch(ctx)
	return nil
}

// transportOptionSetter is the part of tailscale's netstack.Impl that
// sizes its TCP buffers.
type transportOptionSetter interface {
	SetTransportProtocolOption(tcpip.TransportProtocolNumber, tcpip.SettableTransportProtocolOption) tcpip.Error
}

// capReceiveWindow makes max the largest TCP receive window of the
// stack's connections from now on. The default and the minimum are
// gVisor's (tailscale's choice too), the default lowered to max if it is
// larger: gVisor grows a window from its default towards the maximum as
// the application reads.
func capReceiveWindow(ns transportOptionSetter, max int) error {
	opt := tcpip.TCPReceiveBufferSizeRangeOption{Min: tcp.MinBufferSize, Default: min(tcp.DefaultReceiveBufferSize, max), Max: max}
	if max < opt.Min {
		return fmt.Errorf("a TCP receive window of %d bytes is below gVisor's minimum of %d", max, opt.Min)
	}
	if err := ns.SetTransportProtocolOption(tcp.ProtocolNumber, &opt); err != nil {
		return fmt.Errorf("capping the TCP receive window at %d bytes: %v", max, err)
	}
	return nil
}

// Ready is closed once the node has been Running.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// State returns a snapshot of the node's state.
func (n *Node) State() State { return *n.state.Load() }

// Close shuts the node down.
func (n *Node) Close() error { return n.srv.Close() }

// watch follows the IPN bus and re-reads status on every change, and every
// few seconds as well (health, such as an unreachable control server, has
// no bus message of its own).
func (n *Node) watch(ctx context.Context) {
	notes := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			w, err := n.lc.WatchIPNBus(ctx, ipn.NotifyInitialState)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(time.Second)
				continue
			}
			for {
				nt, err := w.Next()
				if err != nil {
					break
				}
				if nt.ErrMessage != nil {
					n.setErr(*nt.ErrMessage)
				}
				select {
				case notes <- struct{}{}:
				default:
				}
			}
			w.Close()
			time.Sleep(200 * time.Millisecond)
		}
	}()
	started := time.Now()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		n.refresh(ctx, started)
		select {
		case <-ctx.Done():
			return
		case <-notes:
		case <-tick.C:
		}
	}
}

func (n *Node) setErr(msg string) {
	n.mu.Lock()
	s := *n.state.Load()
	s.Err = msg
	n.state.Store(&s)
	n.mu.Unlock()
}

// unreachableAfter is how long a node may sit without hearing from control
// before the state says so.
const unreachableAfter = 15 * time.Second

func (n *Node) refresh(ctx context.Context, started time.Time) {
	st, err := n.lc.StatusWithoutPeers(ctx)
	if err != nil {
		return
	}
	n.mu.Lock()
	prev := *n.state.Load()
	s := prev
	s.BackendState = st.BackendState
	s.AuthURL = st.AuthURL
	s.Health = st.Health
	s.IPs = s.IPs[:0:0]
	for _, ip := range st.TailscaleIPs {
		s.IPs = append(s.IPs, ip.String())
	}
	if st.Self != nil {
		s.DNSName = strings.TrimSuffix(st.Self.DNSName, ".")
		if u, ok := st.User[st.Self.UserID]; ok {
			s.LoginName = u.LoginName
		}
		s.Tags = nil
		if st.Self.Tags != nil {
			s.Tags = st.Self.Tags.AsSlice()
		}
	}
	if st.CurrentTailnet != nil {
		s.Tailnet = st.CurrentTailnet.Name
		s.MagicDNSSuffix = st.CurrentTailnet.MagicDNSSuffix
	}
	switch st.BackendState {
	case ipn.Running.String():
		s.Phase = PhaseRunning
		s.Err = ""
	case ipn.NeedsMachineAuth.String():
		s.Phase = PhaseNeedsApproval
	case ipn.NeedsLogin.String():
		if s.AuthURL != "" {
			s.Phase = PhaseNeedsLogin
		} else if s.Err != "" {
			s.Phase = PhaseFailed
		} else {
			s.Phase = PhaseStarting
		}
	case ipn.Stopped.String():
		s.Phase = PhaseStopped
	default:
		s.Phase = PhaseStarting
		if s.Err != "" {
			s.Phase = PhaseFailed
		}
	}
	if s.Phase == PhaseStarting && time.Since(started) > unreachableAfter && controlUnreachable(st.Health) {
		s.Phase = PhaseUnreachable
	}
	n.state.Store(&s)
	n.mu.Unlock()

	if s.Phase != prev.Phase || (s.Phase == PhaseNeedsLogin && s.AuthURL != prev.AuthURL) {
		n.cfg.Logf("%s", s.Message())
	}
	if s.Phase == PhaseRunning {
		n.once.Do(func() { close(n.ready) })
	}
}

// controlUnreachable reports whether a node that is still not up has
// health warnings, which before the first login means it cannot talk to
// the coordination server.
func controlUnreachable(health []string) bool { return len(health) > 0 }
