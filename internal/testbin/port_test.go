package testbin

import (
	"net"
	"testing"
)

func TestFreePort(t *testing.T) {
	p := MustFreePort(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+p)
	if err != nil {
		t.Fatalf("MustFreePort = %s, which cannot be listened on: %v", p, err)
	}
	ln.Close()
}
