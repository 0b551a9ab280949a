package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// The floor is what any Go HTTP proxy costs on this machine: a bare
// net/http/httputil.ReverseProxy in its own process, with no identity,
// grants, metering, limits or captures, measured exactly like the
// gateway. The gateway's overhead above the floor is what its features
// cost; the floor itself (a second HTTP server and client hop on the
// same CPUs) bounds how small any gateway's overhead can be here.

// proxyReadyPrefix starts the line the -serve-proxy mode prints once it
// serves; the URL follows. proxyCountersPrefix starts the line before it,
// with the URL of its allocation counter.
const (
	proxyReadyPrefix    = "bare proxy serving "
	proxyCountersPrefix = "bare proxy counters at "
)

// serveProxy is the -serve-proxy mode: a bare reverse proxy to upstream
// on a loopback port until SIGTERM. Its allocation counter, the same one
// the gateway's /metrics has, is served on a second port, so the proxy's
// own request path stays bare.
func serveProxy(upstream string) error {
	target, err := url.Parse(upstream)
	if err != nil {
		return fmt.Errorf("upstream %q: %w", upstream, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1024 // as the gateway's transport: no reconnects under load
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = target.Host },
		Transport:     tr,
		FlushInterval: -1, // flush every write, as the gateway does for streams
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	csrv := &http.Server{Handler: countersHandler(), ReadHeaderTimeout: 10 * time.Second}
	go csrv.Serve(cln)
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Println(proxyCountersPrefix + "http://" + cln.Addr().String() + "/metrics")
	fmt.Println(proxyReadyPrefix + "http://" + ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	csrv.Close()
	return srv.Close()
}

// startProxy runs this program in -serve-proxy mode in front of upstream
// on cpus and returns the child, the proxy's base URL and the URL of its
// allocation counter.
func startProxy(ctx context.Context, cpus []int, upstream string) (p *Proc, proxyURL, countersURL string, err error) {
	p, proxyURL, err = startSelf(ctx, "bare-proxy", cpus, proxyReadyPrefix, "-serve-proxy", upstream)
	if err != nil {
		return nil, "", "", err
	}
	line, err := p.WaitLine(ctx, proxyCountersPrefix) // printed before the ready line
	if err != nil {
		p.Stop()
		return nil, "", "", err
	}
	return p, proxyURL, strings.TrimSpace(strings.TrimPrefix(line, proxyCountersPrefix)), nil
}

// startSelf runs this program with args on cpus and waits for the line
// starting with ready, returning what follows it (the URL it serves).
func startSelf(ctx context.Context, name string, cpus []int, ready string, args ...string) (*Proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("finding the harness binary: %w", err)
	}
	p, err := StartProc(name, cpus, nil, self, args...)
	if err != nil {
		return nil, "", err
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	line, err := p.WaitLine(wctx, ready)
	if err != nil {
		p.Stop()
		return nil, "", err
	}
	return p, strings.TrimSpace(strings.TrimPrefix(line, ready)), nil
}

// bareProxy is the floor, running beside the gateway on its CPUs; its
// blocks take turns with the gateway's and direct's in the same rounds
// (CompareAll), so the two see the same machine.
type bareProxy struct {
	proc   *Proc
	target Target
	meter  *Meter
}

// startBareProxy starts the bare proxy to fakeURL on cpus and meters it.
func startBareProxy(ctx context.Context, cpus []int, fakeURL string) (*bareProxy, error) {
	say("starting the bare Go reverse proxy (the floor)")
	p, proxyURL, countersURL, err := startProxy(ctx, cpus, fakeURL)
	if err != nil {
		return nil, err
	}
	meter, err := NewMeter(ctx, p.Pid(), countersURL)
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("bare proxy counters: %w", err)
	}
	return &bareProxy{proc: p, target: NewTarget("bare proxy", proxyURL), meter: meter}, nil
}

// Close stops the bare proxy.
func (b *bareProxy) Close() {
	b.target.Close()
	b.proc.Stop()
}

// via is the bare proxy's side of a comparison, metered. It needs no
// Quiet: once its answers are out it has nothing left to do.
func (b *bareProxy) via() Via { return Via{Target: b.target, Meter: b.meter} }
