package tailnettest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"

	"tailscale.com/derp/derpserver"
	"tailscale.com/net/stun"
	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
	"tailscale.com/types/logger"
)

// runDERPAndSTUN starts an in-process DERP server (TLS, self-signed) and a
// STUN server on 127.0.0.1 and returns a one-region DERP map pointing at
// them. It is tailscale's integration.RunDERPAndSTUN without *testing.T, so
// that the demo (a plain program) can use it too.
func runDERPAndSTUN(logf logger.Logf) (*tailcfg.DERPMap, func(), error) {
	d := derpserver.New(key.NewNode(), logf)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listening for DERP: %w", err)
	}
	httpsrv := httptest.NewUnstartedServer(derpserver.Handler(d))
	httpsrv.Listener.Close()
	httpsrv.Listener = ln
	httpsrv.Config.ErrorLog = logger.StdLogger(logf)
	httpsrv.Config.TLSNextProto = make(map[string]func(*http.Server, *tls.Conn, http.Handler))
	httpsrv.StartTLS()

	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		httpsrv.Close()
		d.Close()
		return nil, nil, fmt.Errorf("listening for STUN: %w", err)
	}
	stunDone := make(chan struct{})
	go serveSTUN(pc.(*net.UDPConn), stunDone)

	m := &tailcfg.DERPMap{
		Regions: map[int]*tailcfg.DERPRegion{
			1: {
				RegionID:   1,
				RegionCode: "test",
				Nodes: []*tailcfg.DERPNode{{
					Name:             "t1",
					RegionID:         1,
					HostName:         "127.0.0.1",
					IPv4:             "127.0.0.1",
					IPv6:             "none",
					STUNPort:         pc.LocalAddr().(*net.UDPAddr).Port,
					DERPPort:         ln.Addr().(*net.TCPAddr).Port,
					InsecureForTests: true,
					STUNTestIP:       "127.0.0.1",
				}},
			},
		},
	}
	cleanup := func() {
		pc.Close()
		<-stunDone
		httpsrv.CloseClientConnections()
		httpsrv.Close()
		d.Close()
	}
	return m, cleanup, nil
}

// serveSTUN answers STUN binding requests until pc is closed.
func serveSTUN(pc *net.UDPConn, done chan<- struct{}) {
	defer close(done)
	var buf [64 << 10]byte
	for {
		n, src, err := pc.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pkt := buf[:n]
		if !stun.Is(pkt) {
			continue
		}
		txid, err := stun.ParseBindingRequest(pkt)
		if err != nil {
			continue
		}
		pc.WriteToUDPAddrPort(stun.Response(txid, src), src)
	}
}
