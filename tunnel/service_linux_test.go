package tunnel

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
	"github.com/tsplug/ts-plug/tunnel/sockowner"
)

// dialHelperEnv makes the test binary the other local process of these
// tests (TestServiceHelperProcess): it connects to the address, sends a
// well-formed PROXY header naming forgedSource, and reports when the
// connection is closed on it.
const dialHelperEnv = "TSPLUG_TEST_SERVICE_DIAL"

var forgedSource = netip.MustParseAddrPort("100.64.0.9:4242")

func TestServiceHelperProcess(t *testing.T) {
	addr := os.Getenv(dialHelperEnv)
	if addr == "" {
		t.Skip("only run as another process by the service tests")
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	c.Write(formatProxyHeader(t, 2, forgedSource, netip.MustParseAddrPort("100.64.0.1:80")))
	c.Write([]byte("GET /api/whoami HTTP/1.1\r\nHost: ai\r\n\r\n"))
	fmt.Println("connected")
	io.Copy(io.Discard, c) // until the listener closes it
	fmt.Println("closed")
	os.Exit(0)
}

// dialFromOtherProcess starts the helper process against addr and
// returns its output, which reads "connected" then "closed".
func dialFromOtherProcess(t *testing.T, addr string) *testbin.SyncBuffer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServiceHelperProcess$")
	cmd.Env = append(os.Environ(), dialHelperEnv+"="+addr)
	out := new(testbin.SyncBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return out
}

// expect is nil when ok, else an error saying what is still awaited.
func expect(ok bool, what string) error {
	if ok {
		return nil
	}
	return errors.New("waiting for " + what)
}

// acceptedConn accepts one connection on ln: the pair of this process's
// own client end and the accepted end.
func acceptedConn(t *testing.T, network, addr string) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s listener on %s here: %v", network, addr, err)
	}
	defer ln.Close()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}

func TestFromThisProcess(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		t.Run(tc.network, func(t *testing.T) {
			_, server := acceptedConn(t, tc.network, tc.addr)
			if err := fromThisProcess(server); err != nil {
				t.Errorf("a connection this process made: %v", err)
			}
		})
	}
	t.Run("another process", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		out := dialFromOtherProcess(t, ln.Addr().String())
		server, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close()
		testbin.WaitUntil(t, 20*time.Second, func() error { return expect(strings.Contains(out.String(), "connected"), "the helper to connect") })
		if err := fromThisProcess(server); err != errNotThisProcess {
			t.Errorf("a connection another process made: %v, want %v", err, errNotThisProcess)
		}
	})
	t.Run("an inode number matched by another socket of ours", func(t *testing.T) {
		// A local process that got one of our sockets' inode numbers
		// (the kernel's counter wraps) is stood in for by a listing in
		// which another of our descriptors bears the peer's inode: its
		// addresses are not the connection's other end, so refused.
		client, server := acceptedConn(t, "tcp4", "127.0.0.1:0")
		other, _ := acceptedConn(t, "tcp4", "127.0.0.1:0")
		local, remote := server.LocalAddr().(*net.TCPAddr), server.RemoteAddr().(*net.TCPAddr)
		peer, err := sockowner.Peer(sockowner.Conn{Local: local.AddrPort(), Remote: remote.AddrPort()})
		if err != nil {
			t.Fatal(err)
		}
		fdOf := func(c net.Conn) (fd int) {
			rc, err := c.(*net.TCPConn).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			rc.Control(func(f uintptr) { fd = int(f) })
			return fd
		}
		fake := t.TempDir()
		link := fmt.Sprintf("socket:[%d]", peer.Inode)
		if err := os.Symlink(link, filepath.Join(fake, strconv.Itoa(fdOf(other)))); err != nil {
			t.Fatal(err)
		}
		old := ownFDs
		ownFDs = fake
		defer func() { ownFDs = old }()
		if err := fromThisProcess(server); err != errNotThisProcess {
			t.Errorf("an inode match on a descriptor that is not the other end = %v, want %v", err, errNotThisProcess)
		}
		// The same listing naming the real other end passes.
		os.Symlink(link, filepath.Join(fake, strconv.Itoa(fdOf(client))))
		if err := fromThisProcess(server); err != nil {
			t.Errorf("the real other end: %v", err)
		}
	})
	t.Run("a socket this process does not hold", func(t *testing.T) {
		// The kernel finds the peer socket, but the fd list given is
		// another's (an empty directory): refused.
		_, server := acceptedConn(t, "tcp4", "127.0.0.1:0")
		old := ownFDs
		ownFDs = t.TempDir()
		defer func() { ownFDs = old }()
		if err := fromThisProcess(server); err != errNotThisProcess {
			t.Errorf("fromThisProcess with no descriptors of ours = %v, want %v", err, errNotThisProcess)
		}
	})
}

// serviceListenerUnderTest is a verifiedListener over a plain loopback
// listener, standing in for tsnet's, with its log.
func serviceListenerUnderTest(t *testing.T) (*verifiedListener, *testbin.SyncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := new(testbin.SyncBuffer)
	vl := newVerifiedListener(ln, "svc:test port 80", logs.Logf)
	t.Cleanup(func() { vl.Close() })
	return vl, logs
}

// acceptAsync runs Accept in the background.
func acceptAsync(l net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			ch <- c
		}
		close(ch)
	}()
	return ch
}

func TestVerifiedListener(t *testing.T) {
	client := netip.MustParseAddrPort("100.64.0.2:51234")
	header := formatProxyHeader(t, 2, client, netip.MustParseAddrPort("100.64.0.1:80"))

	t.Run("this process's connection gets the header's source", func(t *testing.T) {
		vl, _ := serviceListenerUnderTest(t)
		accepted := acceptAsync(vl)
		c, err := net.Dial("tcp", vl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(append(header, "hello"...))
		var got net.Conn
		select {
		case got = <-accepted:
		case <-time.After(20 * time.Second):
			t.Fatal("not accepted")
		}
		defer got.Close()
		if got.RemoteAddr().String() != client.String() {
			t.Errorf("RemoteAddr = %v, want the header's source %v", got.RemoteAddr(), client)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(got, buf); err != nil || string(buf) != "hello" {
			t.Errorf("after the header read %q, %v; want hello", buf, err)
		}
	})

	t.Run("another process is refused, even with a well-formed header", func(t *testing.T) {
		vl, logs := serviceListenerUnderTest(t)
		accepted := acceptAsync(vl)
		out := dialFromOtherProcess(t, vl.Addr().String())
		testbin.WaitUntil(t, 20*time.Second, func() error {
			return expect(strings.Contains(out.String(), "closed"), "the listener to close the helper's connection")
		})
		select {
		case c := <-accepted:
			t.Fatalf("accepted another process's connection as %v", c.RemoteAddr())
		default:
		}
		testbin.WaitUntil(t, 20*time.Second, func() error {
			return expect(strings.Contains(logs.String(), "refused a connection from 127.0.0.1:") && strings.Contains(logs.String(), "not from this process"), "the refusal in the log")
		})
	})

	t.Run("this process's connection without a header is refused", func(t *testing.T) {
		vl, logs := serviceListenerUnderTest(t)
		accepted := acceptAsync(vl)
		c, err := net.Dial("tcp", vl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("GET / HTTP/1.1\r\nHost: ai\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		// Closed with the request unread: EOF or a reset, not a timeout.
		if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the connection was not closed: %v", err)
		}
		select {
		case c := <-accepted:
			t.Fatalf("accepted a connection without a PROXY header as %v", c.RemoteAddr())
		default:
		}
		testbin.WaitUntil(t, 20*time.Second, func() error {
			return expect(strings.Contains(logs.String(), "not a PROXY protocol v2 header"), "the refusal in the log")
		})
	})

	t.Run("a silent connection holds up no other", func(t *testing.T) {
		vl, _ := serviceListenerUnderTest(t)
		silent, err := net.Dial("tcp", vl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		accepted := acceptAsync(vl)
		c, err := net.Dial("tcp", vl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(header)
		select {
		case got := <-accepted:
			got.Close()
		case <-time.After(headerTimeout / 2):
			t.Fatal("a connection waiting for its header held up the next")
		}
	})

	t.Run("close", func(t *testing.T) {
		vl, _ := serviceListenerUnderTest(t)
		accepted := acceptAsync(vl)
		if err := vl.Close(); err != nil {
			t.Fatal(err)
		}
		if c, ok := <-accepted; ok {
			t.Fatalf("accepted %v after Close", c.RemoteAddr())
		}
		if c, err := net.Dial("tcp", vl.Addr().String()); err == nil {
			c.Close()
			t.Error("the loopback port still accepts after Close")
		}
	})
}
