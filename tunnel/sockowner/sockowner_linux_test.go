package sockowner

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
)

// loopbackConn opens a real connection from dialNet to a listener on
// listenNet listenAddr, and returns it as the accepting side sees it;
// it skips the test where this machine lacks either.
func loopbackConn(t *testing.T, listenNet, listenAddr, dialNet string) Conn {
	c, _ := loopbackConnClient(t, listenNet, listenAddr, dialNet)
	return c
}

// loopbackConnClient is loopbackConn that also returns the client's end.
func loopbackConnClient(t *testing.T, listenNet, listenAddr, dialNet string) (Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen(listenNet, listenAddr)
	if err != nil {
		t.Skipf("no %s listener on %s here: %v", listenNet, listenAddr, err)
	}
	t.Cleanup(func() { ln.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	if addr.IP.IsUnspecified() {
		addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: addr.Port}
	}
	client, err := net.Dial(dialNet, addr.String())
	if err != nil {
		t.Skipf("cannot dial %s to %v: %v", dialNet, addr, err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return Conn{
		Local:  server.LocalAddr().(*net.TCPAddr).AddrPort(),
		Remote: server.RemoteAddr().(*net.TCPAddr).AddrPort(),
	}, client
}

// TestLookupRealConnection asks the kernel about real loopback
// connections this test opens: their owner is the test's own uid.
func TestLookupRealConnection(t *testing.T) {
	tests := []struct {
		name                           string
		listenNet, listenAddr, dialNet string
	}{
		{"ipv4", "tcp4", "127.0.0.1:0", "tcp4"},
		{"ipv6", "tcp6", "[::1]:0", "tcp6"},
		// An IPv4 client of a dual-stack listener is seen as
		// ::ffff:127.0.0.1; its socket is still found.
		{"ipv4 to dual stack", "tcp", "[::]:0", "tcp4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loopbackConn(t, tt.listenNet, tt.listenAddr, tt.dialNet)
			uid, err := Lookup(c)
			if err != nil {
				t.Fatalf("Lookup(%v): %v", c, err)
			}
			if want := uint32(os.Getuid()); uid != want {
				t.Errorf("Lookup = uid %d, want %d (this process)", uid, want)
			}
			// A connection that does not exist is not found.
			gone := Conn{Local: c.Local, Remote: netip.AddrPortFrom(c.Remote.Addr(), 1)}
			if _, err := Lookup(gone); err != ErrNotFound {
				t.Errorf("Lookup of a connection that does not exist = %v, want ErrNotFound", err)
			}
		})
	}
}

// A client that closes its end before its request is read has no owner
// any more: the kernel lists the leftover socket as uid 0, which must
// never be read as root.
func TestLookupClosedPeer(t *testing.T) {
	c, client := loopbackConnClient(t, "tcp4", "127.0.0.1:0", "tcp4")
	if _, err := Lookup(c); err != nil {
		t.Fatalf("open connection: %v", err)
	}
	client.Close()
	testbin.WaitUntil(t, 5*time.Second, func() error {
		uid, err := Lookup(c)
		if err == ErrNotFound {
			return nil
		}
		return fmt.Errorf("Lookup of a closed client = uid %d, %v; want ErrNotFound", uid, err)
	})
}

func TestUserName(t *testing.T) {
	if got := UserName(0); got != "root" {
		t.Errorf("UserName(0) = %q, want root", got)
	}
	if got := UserName(4000000001); got != "uid:4000000001" {
		t.Errorf("UserName of an unknown uid = %q", got)
	}
}
