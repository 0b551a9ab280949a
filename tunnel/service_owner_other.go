//go:build !linux

package tunnel

import (
	"errors"
	"net"
)

// ServiceSupported reports whether ListenService can tell its forwarder's
// connections from any other local process's: only Linux lists which
// socket a loopback connection's peer is (sockowner).
const ServiceSupported = false

func fromThisProcess(net.Conn) error {
	return errors.New("telling this process's connections from others' is only supported on Linux")
}
