package sockowner

import (
	"net"
	"net/netip"
	"os"
	"testing"
)

// TestLookupRealConnection asks the kernel about a real loopback
// connection this test opens: its owner is the test's own uid.
func TestLookupRealConnection(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "tcp6" {
				addr = "[::1]:0"
			}
			ln, err := net.Listen(network, addr)
			if err != nil {
				t.Skipf("no %s loopback here: %v", network, err)
			}
			defer ln.Close()
			client, err := net.Dial(network, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			server, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			c := Conn{
				Local:  server.LocalAddr().(*net.TCPAddr).AddrPort(),
				Remote: server.RemoteAddr().(*net.TCPAddr).AddrPort(),
			}
			uid, err := Lookup(c)
			if err != nil {
				t.Fatalf("Lookup(%v): %v", c, err)
			}
			if want := uint32(os.Getuid()); uid != want {
				t.Errorf("Lookup = uid %d, want %d (this process)", uid, want)
			}
			// The accepting side's own socket is not what is asked for:
			// swapping the addresses finds the server's half instead, and
			// a port nobody uses finds nothing.
			gone := Conn{Local: c.Local, Remote: netip.AddrPortFrom(c.Remote.Addr(), 1)}
			if _, err := Lookup(gone); err != ErrNotFound {
				t.Errorf("Lookup of a connection that does not exist = %v, want ErrNotFound", err)
			}
		})
	}
}

// An IPv4 client of a dual-stack listener is seen as ::ffff:127.0.0.1;
// its socket is still found.
func TestLookupMappedIPv4(t *testing.T) {
	ln, err := net.Listen("tcp", "[::]:0")
	if err != nil {
		t.Skipf("no dual-stack listener here: %v", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	client, err := net.Dial("tcp4", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		t.Skipf("cannot dial IPv4 to a dual-stack listener: %v", err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	c := Conn{
		Local:  server.LocalAddr().(*net.TCPAddr).AddrPort(),
		Remote: server.RemoteAddr().(*net.TCPAddr).AddrPort(),
	}
	if !c.Remote.Addr().Is4In6() {
		t.Skipf("peer seen as %v, not IPv4-mapped", c.Remote)
	}
	uid, err := Lookup(c)
	if err != nil || uid != uint32(os.Getuid()) {
		t.Errorf("Lookup(%v) = %d, %v; want %d", c, uid, err, os.Getuid())
	}
}

func itoa(n int) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n)).String()[len("0.0.0.0:"):]
}

func TestUserName(t *testing.T) {
	if got := UserName(0); got != "root" {
		t.Errorf("UserName(0) = %q, want root", got)
	}
	if got := UserName(4000000001); got != "uid:4000000001" {
		t.Errorf("UserName of an unknown uid = %q", got)
	}
}
