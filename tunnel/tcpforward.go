package tunnel

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"time"
)

// TCPForwarder copies raw bytes between the connections it accepts and
// Addr: databases, SSH, anything that is not HTTP. ts-unplug accepts
// local connections and dials a tailnet address; ts-plug accepts tailnet
// connections and dials a local server.
type TCPForwarder struct {
	Addr  string // host:port that Dial reaches
	Dial  DialFunc
	Stats *Stats
	// Ready, if set, must be closed before connections are forwarded;
	// until then they wait (up to DialTimeout).
	Ready       <-chan struct{}
	DialTimeout time.Duration
	Logf        func(format string, args ...any)
}

// Serve accepts on ln until it is closed or ctx ends, and waits for the
// connections in flight to finish.
func (f *TCPForwarder) Serve(ctx context.Context, ln net.Listener) error {
	if f.Logf == nil {
		f.Logf = log.Printf
	}
	if f.DialTimeout == 0 {
		f.DialTimeout = 30 * time.Second
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.handle(ctx, c)
		}()
	}
}

func (f *TCPForwarder) handle(ctx context.Context, c net.Conn) {
	defer c.Close()
	dctx, cancel := context.WithTimeout(ctx, f.DialTimeout)
	defer cancel()
	if f.Ready != nil {
		select {
		case <-f.Ready:
		case <-dctx.Done():
			f.Logf("tcp: dropping connection from %s: the tailnet device is not connected yet", c.RemoteAddr())
			return
		}
	}
	up, err := f.Dial(dctx, "tcp", f.Addr)
	if err != nil {
		f.Logf("tcp: cannot reach %s: %v", f.Addr, err)
		return
	}
	defer up.Close()
	if f.Stats != nil {
		f.Stats.TCPConns.Add(1)
	}
	errc := make(chan error, 2)
	go func() { errc <- pipe(up, c, f.Stats, true) }()
	go func() { errc <- pipe(c, up, f.Stats, false) }()
	select {
	case <-errc:
		// One side finished; let the other drain briefly via half-close.
		select {
		case <-errc:
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
}

// pipe copies src to dst and half-closes dst's write side when src ends.
func pipe(dst, src net.Conn, st *Stats, in bool) error {
	n, err := io.Copy(dst, src)
	if st != nil {
		if in {
			st.BytesIn.Add(n)
		} else {
			st.BytesOut.Add(n)
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else {
		dst.Close()
	}
	return err
}
