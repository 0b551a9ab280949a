package tunnel

import (
	"context"
	"errors"
	"net"
	"net/http"
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
// up once, as soon as the connection is accepted: a connection's owner
// does not change, and the sooner it is asked the less time a client has
// to close its end first (a closed end has no owner; see sockowner).
type connOwner struct {
	done     chan struct{} // closed once name and err are set
	name     string
	err      error
	reported atomic.Bool // a failure was handed to one caller to log
}

type connOwnerKey struct{}

// ownerLookups bounds the owner lookups running at once.
var ownerLookups = make(chan struct{}, 4)

// LocalUserConnContext is an http.Server ConnContext that starts looking
// up the owner of each connection's client end, for LocalUser.
func LocalUserConnContext(ctx context.Context, c net.Conn) context.Context {
	local, ok1 := c.LocalAddr().(*net.TCPAddr)
	remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return ctx
	}
	o := &connOwner{done: make(chan struct{})}
	conn := sockowner.Conn{Local: local.AddrPort(), Remote: remote.AddrPort()}
	// Not in the accept loop itself: reading the kernel's socket table
	// takes a while on a busy machine.
	go func() {
		defer close(o.done)
		// A few at a time: each reads the whole socket table, and a
		// local process opening connections by the thousand should not
		// make ts-unplug read it by the thousand at once.
		ownerLookups <- struct{}{}
		defer func() { <-ownerLookups }()
		o.name, o.err = sockowner.Name(conn)
	}()
	return context.WithValue(ctx, connOwnerKey{}, o)
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
