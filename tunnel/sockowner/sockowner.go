// Package sockowner finds which local OS user owns the other end of a
// loopback TCP connection: the kernel records the owner of every socket,
// so on a machine several people share, a local proxy can tell them apart
// without trusting anything the client says.
//
// Only Linux exposes this for TCP (in /proc/net/tcp and /proc/net/tcp6);
// elsewhere Supported is false and Lookup returns ErrUnsupported.
package sockowner

import (
	"errors"
	"fmt"
	"net/netip"
	"os/user"
	"strconv"
)

// ErrUnsupported is Lookup's error where the kernel does not expose
// socket owners.
var ErrUnsupported = errors.New("finding the local user of a connection is only supported on Linux")

// ErrNotFound means no socket of this machine's network namespace has the
// connection's addresses: the peer is in another namespace (a container)
// or already gone.
var ErrNotFound = errors.New("no local socket for this connection")

// Conn names one TCP connection as the accepting side sees it: Local is
// its own address (the listener's), Remote the peer's.
type Conn struct {
	Local, Remote netip.AddrPort
}

// Socket is the peer's socket of a connection as the kernel lists it.
type Socket struct {
	UID uint32 // its owner
	// Inode names the socket: a process holding it has a file descriptor
	// whose /proc/PID/fd link reads "socket:[Inode]".
	Inode uint64
}

// Lookup returns the uid owning the peer's socket of c, which must be a
// connection accepted on this machine from this machine.
func Lookup(c Conn) (uid uint32, err error) {
	s, err := Peer(c)
	return s.UID, err
}

// Peer returns the peer's socket of c, which must be a connection
// accepted on this machine from this machine.
func Peer(c Conn) (Socket, error) {
	if !Supported {
		return Socket{}, ErrUnsupported
	}
	return lookup(c)
}

// UserName is uid's login name, or "uid:N" when the user database has no
// entry for it (a container's user, a deleted account).
func UserName(uid uint32) string {
	s := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(s); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid:" + s
}

// Name is the login name of the user owning the peer's socket of c.
func Name(c Conn) (string, error) {
	uid, err := Lookup(c)
	if err != nil {
		return "", fmt.Errorf("finding the local user of %v: %w", c.Remote, err)
	}
	return UserName(uid), nil
}
