package tunnel

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/tsplug/ts-plug/tunnel/sockowner"
)

// ServiceSupported reports whether ListenService can tell its forwarder's
// connections from any other local process's: only Linux lists which
// socket a loopback connection's peer is (sockowner).
const ServiceSupported = true

// ownFDs is where this process's open files are listed; a test may point
// it elsewhere.
var ownFDs = "/proc/self/fd"

// fromThisProcess checks that the peer of c, a connection accepted on a
// loopback listener, is a socket this process holds: the kernel's TCP
// table names the peer's socket (its inode), and this process's file
// descriptors are the only ones it can see as its own. Another local
// process, whatever its user, holds a socket this process does not.
func fromThisProcess(c net.Conn) error {
	local, lok := c.LocalAddr().(*net.TCPAddr)
	remote, rok := c.RemoteAddr().(*net.TCPAddr)
	if !lok || !rok {
		return fmt.Errorf("not a TCP connection: %v", c.RemoteAddr())
	}
	peer, err := sockowner.Peer(sockowner.Conn{Local: local.AddrPort(), Remote: remote.AddrPort()})
	if err != nil {
		return fmt.Errorf("finding the peer socket: %w", err)
	}
	fds, err := socketFDs(ownFDs, peer.Inode)
	if err != nil {
		return err
	}
	// An inode number alone is not proof: the kernel's counter wraps,
	// so a local process that opens sockets by the billion could get the
	// number of one of ours. The descriptor found must itself be the
	// connection's other end: bound to its remote address, connected to
	// its local one (a descriptor reused since the listing fails too).
	for _, fd := range fds {
		if isOtherEnd(fd, local.AddrPort(), remote.AddrPort()) {
			return nil
		}
	}
	return errNotThisProcess
}

// socketFDs lists the descriptors in fdDir that are the socket with the
// given inode.
func socketFDs(fdDir string, inode uint64) ([]int, error) {
	d, err := os.Open(fdDir)
	if err != nil {
		return nil, fmt.Errorf("listing this process's files: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("listing this process's files: %w", err)
	}
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	var fds []int
	for _, n := range names {
		// A descriptor closed since the listing is no longer there:
		// skipped, as it is not the socket that is still connected.
		if link, err := os.Readlink(filepath.Join(fdDir, n)); err == nil && link == want {
			if fd, err := strconv.Atoi(n); err == nil {
				fds = append(fds, fd)
			}
		}
	}
	return fds, nil
}

// isOtherEnd reports whether descriptor fd of this process is the socket
// at the other end of a connection from remote to local: bound to
// remote, connected to local.
func isOtherEnd(fd int, local, remote netip.AddrPort) bool {
	name, err := syscall.Getsockname(fd)
	if err != nil {
		return false
	}
	peer, err := syscall.Getpeername(fd)
	if err != nil {
		return false
	}
	return sockaddrPort(name) == unmapped(remote) && sockaddrPort(peer) == unmapped(local)
}

// sockaddrPort is a TCP socket address as a netip.AddrPort, IPv4-mapped
// addresses unmapped (the zero AddrPort for other families).
func sockaddrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port))
	}
	return netip.AddrPort{}
}

func unmapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
