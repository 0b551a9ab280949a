package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"tailscale.com/ipn"
	"tailscale.com/tsnet"
	"tailscale.com/types/logger"
)

// ErrServiceUnsupported is ListenService's error off Linux.
var ErrServiceUnsupported = errors.New("Tailscale Services are only served on Linux: elsewhere a service connection cannot be told from another local process's, and its caller could be forged")

// ServiceListener serves one port of a Tailscale Service this node
// advertises. tsnet hands Service connections over a loopback TCP socket
// on the host, which any local process can connect to as well, so the
// caller's tailnet address cannot be taken from the connection or from
// anything sent on it. Instead each connection is accepted only when its
// peer socket belongs to this very process (tsnet's forwarder runs in
// it), and only then is its PROXY protocol v2 header believed: Accept
// returns connections whose RemoteAddr is the caller's tailnet address,
// so WhoIs identifies it as on the node's own listener.
//
// Withdraw stops advertising the Service and Close stops accepting, but
// neither removes tsnet's serve handler for the port, as tsnet's own
// ServiceListener.Close does: tsnet takes in a Service's packets only
// while its serve config has a handler for the port, so removing it
// stalls every connection already forwarded, streams in flight included.
// The handler goes with the node (and tsnet clears it when the node next
// starts); until then a connection the tailnet still sends here is
// refused at the closed loopback port.
type ServiceListener struct {
	*verifiedListener
	// FQDN is the Service's MagicDNS name, e.g. ai.example.ts.net.
	FQDN string
	// Loopback is the host address tsnet forwards the Service's
	// connections to (and where refused ones came in).
	Loopback net.Addr

	srv          *tsnet.Server
	name         string
	withdrawOnce sync.Once
	withdrawErr  error
}

// ListenService advertises the Tailscale Service name (svc:NAME) on port
// of srv's node, which must be tagged and Running, and returns its
// listener. With terminateTLS, tsnet terminates TLS with the Service's
// certificate first. logf hears of refused connections.
func ListenService(srv *tsnet.Server, name string, port uint16, terminateTLS bool, logf logger.Logf) (*ServiceListener, error) {
	if !ServiceSupported {
		return nil, ErrServiceUnsupported
	}
	ln, err := srv.ListenService(name, tsnet.ServiceModeTCP{Port: port, TerminateTLS: terminateTLS, PROXYProtocolVersion: 2})
	if err != nil {
		return nil, fmt.Errorf("Tailscale Service %s port %d: %w", name, port, err)
	}
	what := fmt.Sprintf("Tailscale Service %s port %d", name, port)
	return &ServiceListener{
		verifiedListener: newVerifiedListener(ln.Listener, what, logf),
		FQDN:             ln.FQDN, Loopback: ln.Listener.Addr(), srv: srv, name: name,
	}, nil
}

// Withdraw stops advertising the Service (on all its ports), so that
// the tailnet sends its callers to the other hosts, and keeps serving:
// connections already open go on, as do new ones from clients that still
// route the Service here. The error, if any, is reported once.
func (l *ServiceListener) Withdraw() error {
	l.withdrawOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		l.withdrawErr = withdrawService(ctx, l.srv, l.name)
	})
	return l.withdrawErr
}

// Close withdraws the Service (if Withdraw has not) and stops accepting;
// connections already accepted stay open.
func (l *ServiceListener) Close() error {
	return errors.Join(l.Withdraw(), l.verifiedListener.Close())
}

// withdrawService removes name from the Services srv's node advertises.
func withdrawService(ctx context.Context, srv *tsnet.Server, name string) error {
	lc, err := srv.LocalClient()
	if err != nil {
		return fmt.Errorf("withdrawing Tailscale Service %s: %w", name, err)
	}
	prefs, err := lc.GetPrefs(ctx)
	if err != nil {
		return fmt.Errorf("withdrawing Tailscale Service %s: %w", name, err)
	}
	left := slices.DeleteFunc(slices.Clone(prefs.AdvertiseServices), func(s string) bool { return s == name })
	if len(left) == len(prefs.AdvertiseServices) {
		return nil
	}
	if _, err := lc.EditPrefs(ctx, &ipn.MaskedPrefs{AdvertiseServicesSet: true, Prefs: ipn.Prefs{AdvertiseServices: left}}); err != nil {
		return fmt.Errorf("withdrawing Tailscale Service %s: %w", name, err)
	}
	return nil
}

const (
	// headerTimeout bounds the wait for the PROXY header of a connection
	// from this process (tsnet writes it as soon as it has connected).
	headerTimeout = 10 * time.Second
	// maxVerifying bounds the connections checked at once, so that a
	// local process opening thousands does not have this one read the
	// kernel's socket table thousands of times concurrently.
	maxVerifying = 4
)

// verifiedListener accepts from inner only the connections this process
// made, and reads the PROXY v2 header each begins with (see
// ServiceListener). Checks run off the accept loop, so one slow
// connection holds up no other.
type verifiedListener struct {
	inner     net.Listener
	what      string
	logf      logger.Logf
	ready     chan net.Conn
	verifying chan struct{} // semaphore, maxVerifying
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error

	acceptErr error         // set before failed is closed
	failed    chan struct{} // closed when inner's Accept fails for good
}

func newVerifiedListener(inner net.Listener, what string, logf logger.Logf) *verifiedListener {
	l := &verifiedListener{
		inner: inner, what: what,
		// A local process can open connections by the thousand: say so
		// now and then, not for each.
		logf:      logger.RateLimitedFn(logf, time.Minute, 5, 100),
		ready:     make(chan net.Conn),
		verifying: make(chan struct{}, maxVerifying),
		closed:    make(chan struct{}),
		failed:    make(chan struct{}),
	}
	go l.acceptLoop()
	return l
}

func (l *verifiedListener) acceptLoop() {
	var backoff time.Duration
	for {
		c, err := l.inner.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				// Out of file descriptors, say: wait and retry, as
				// net/http's Serve does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				l.logf("%s: accept: %v; retrying in %v", l.what, err, backoff)
				time.Sleep(backoff)
				continue
			}
			l.acceptErr = err
			close(l.failed)
			return
		}
		backoff = 0
		select {
		case l.verifying <- struct{}{}:
		case <-l.closed:
			c.Close()
			continue
		}
		go func() {
			defer func() { <-l.verifying }()
			vc, err := l.verify(c)
			if err != nil {
				l.logf("%s: refused a connection from %v: %v", l.what, c.RemoteAddr(), err)
				c.Close()
				return
			}
			select {
			case l.ready <- vc:
			case <-l.closed:
				c.Close()
			}
		}()
	}
}

// errNotThisProcess is why a connection from another local process is
// refused.
var errNotThisProcess = errors.New("its peer socket is not one of this process's")

// verify checks that c is this process's own, then reads its PROXY
// header. The check comes first: another process's connection that
// sends nothing is refused at once, not after headerTimeout.
func (l *verifiedListener) verify(c net.Conn) (net.Conn, error) {
	if err := fromThisProcess(c); err != nil {
		if errors.Is(err, errNotThisProcess) {
			return nil, fmt.Errorf("not from this process's Service forwarder: %w", err)
		}
		// Out of descriptors, or a caller that hung up before the check:
		// not an intruder.
		return nil, fmt.Errorf("could not check where the connection comes from: %w", err)
	}
	c.SetReadDeadline(time.Now().Add(headerTimeout))
	h, err := readProxyHeader(c)
	if err != nil {
		return nil, err
	}
	c.SetReadDeadline(time.Time{})
	return &proxiedConn{Conn: c, remote: net.TCPAddrFromAddrPort(h.Source)}, nil
}

// Accept returns the next verified connection.
func (l *verifiedListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-l.failed:
		select {
		case <-l.closed: // the failure is inner's Close
			return nil, net.ErrClosed
		default:
		}
		return nil, l.acceptErr
	}
}

// Close stops accepting; connections already accepted stay open.
func (l *verifiedListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.closeErr = l.inner.Close()
	})
	return l.closeErr
}

// Addr is inner's address (for a tsnet Service: FQDN:port).
func (l *verifiedListener) Addr() net.Addr { return l.inner.Addr() }

// proxiedConn is a connection relayed for the client its PROXY header
// named.
type proxiedConn struct {
	net.Conn
	remote net.Addr
}

// RemoteAddr is the relayed client's address.
func (c *proxiedConn) RemoteAddr() net.Addr { return c.remote }
