package tunnel

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tsplug/ts-plug/tunnel/sockowner"
)

// ServiceSupported reports whether ListenService can tell its forwarder's
// connections from any other local process's: only Linux lists which
// socket a loopback connection's peer is (sockowner).
const ServiceSupported = true

// ownFDs is where this process's open files are listed; a test may point
// it elsewhere.
var ownFDs = "/proc/self/fd"

var errNotThisProcess = errors.New("its peer socket is not one of this process's")

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
	holds, err := holdsSocket(ownFDs, peer.Inode)
	if err != nil {
		return err
	}
	if !holds {
		return errNotThisProcess
	}
	return nil
}

// holdsSocket reports whether one of the descriptors listed in fdDir is
// the socket with the given inode.
func holdsSocket(fdDir string, inode uint64) (bool, error) {
	d, err := os.Open(fdDir)
	if err != nil {
		return false, fmt.Errorf("listing this process's files: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return false, fmt.Errorf("listing this process's files: %w", err)
	}
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, n := range names {
		// A descriptor closed since the listing is no longer there:
		// skipped, as it is not the socket that is still connected.
		if link, err := os.Readlink(filepath.Join(fdDir, n)); err == nil && link == want {
			return true, nil
		}
	}
	return false, nil
}
