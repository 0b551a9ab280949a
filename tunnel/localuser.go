package tunnel

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/tsplug/ts-plug/tunnel/sockowner"
)

// HeaderLocalUser carries the login name of the local OS user whose
// process opened the connection a request came on, as the kernel reports
// the socket's owner: on a machine several people share, it tells them
// apart behind one tailnet device. Its name starts with "Tailscale", so
// every tunnel strips what a client sent in any spelling, and only the
// tunnel that looked the owner up sets it. A gateway should believe it
// only from devices it knows run such a tunnel, and never let it widen
// what the device may do.
const HeaderLocalUser = "Tailscale-Local-User"

// connOwner is the peer of one accepted connection and its owner, looked
// up once, at the connection's first request: a connection's owner does
// not change, and a connection that never sends a request (a local
// process opening them by the thousand) costs no lookup at all. While a
// request is being served its client end is open, so it has an owner.
type connOwner struct {
	conn     sockowner.Conn
	once     sync.Once
	done     chan struct{} // closed once name and err are set
	name     string
	err      error
	reported atomic.Bool // a failure was handed to one caller to log
}

type connOwnerKey struct{}

// ownerLookups bounds the owner lookups running at once: each reads the
// whole socket table.
var ownerLookups = make(chan struct{}, 4)

// ownerLookupsStarted counts lookups, for tests.
var ownerLookupsStarted atomic.Int64

// LocalUserConnContext is an http.Server ConnContext that notes each
// connection's addresses, for LocalUser to look its owner up.
func LocalUserConnContext(ctx context.Context, c net.Conn) context.Context {
	local, ok1 := c.LocalAddr().(*net.TCPAddr)
	remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return ctx
	}
	o := &connOwner{conn: sockowner.Conn{Local: local.AddrPort(), Remote: remote.AddrPort()}, done: make(chan struct{})}
	return context.WithValue(ctx, connOwnerKey{}, o)
}

// start looks the owner up, once, on a goroutine of its own, so that a
// request that gives up waiting does not leave the lookup half done.
func (o *connOwner) start() {
	o.once.Do(func() {
		ownerLookupsStarted.Add(1)
		go func() {
			defer close(o.done)
			ownerLookups <- struct{}{}
			defer func() { <-ownerLookups }()
			o.name, o.err = sockowner.Name(o.conn)
		}()
	})
}

// LocalUser is the login name of the local user who owns the client's
// end of r's connection. first is true for the first caller to see the
// connection's failure, so it is reported once per connection, not per
// request.
func LocalUser(r *http.Request) (name string, first bool, err error) {
	o, _ := r.Context().Value(connOwnerKey{}).(*connOwner)
	if o == nil {
		return "", true, errNoConnOwner
	}
	o.start()
	select {
	case <-o.done:
	case <-r.Context().Done():
		return "", false, r.Context().Err()
	}
	if o.err != nil {
		return "", o.reported.CompareAndSwap(false, true), o.err
	}
	return o.name, false, nil
}

var errNoConnOwner = errors.New("connection addresses unknown (the server has no LocalUserConnContext)")

// SetLocalUserHeader is an HTTPForwarder.SetHeaders that names the local
// user of each request's connection in HeaderLocalUser. When the owner
// cannot be found the header is left out (the gateway then records the
// request as from an unknown local user) and logf says why, once per
// connection.
func SetLocalUserHeader(logf func(string, ...any)) func(in *http.Request, out http.Header) {
	return func(in *http.Request, out http.Header) {
		name, first, err := LocalUser(in)
		if err != nil {
			if first && logf != nil {
				logf("local user of %s unknown, request sent without it: %v", in.RemoteAddr, err)
			}
			return
		}
		setEncoded(out, HeaderLocalUser, name)
	}
}
