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
// serves; the URL follows.
const proxyReadyPrefix = "bare proxy serving "

// serveProxy is the -serve-proxy mode: a bare reverse proxy to upstream
// on a loopback port until SIGTERM.
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
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Println(proxyReadyPrefix + "http://" + ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	return srv.Close()
}

// startProxy runs this program in -serve-proxy mode in front of upstream
// and returns the child and the proxy's base URL.
func startProxy(ctx context.Context, upstream string) (*Proc, string, error) {
	return startSelf(ctx, "bare-proxy", proxyReadyPrefix, "-serve-proxy", upstream)
}

// startSelf runs this program with args and waits for the line starting
// with ready, returning what follows it (the URL it serves).
func startSelf(ctx context.Context, name, ready string, args ...string) (*Proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("finding the harness binary: %w", err)
	}
	p, err := StartProc(name, nil, self, args...)
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

// measureFloor compares the bare proxy with direct calls, like the
// gateway's non-streaming section.
func measureFloor(ctx context.Context, rep *Report, sz sizes, fakeURL string) error {
	say("starting the bare Go reverse proxy (the floor)")
	p, proxyURL, err := startProxy(ctx, fakeURL)
	if err != nil {
		return err
	}
	defer p.Stop()
	direct, floor := NewTarget("direct", fakeURL), NewTarget("bare proxy", proxyURL)
	defer direct.Close()
	defer floor.Close()
	for _, api := range apiCases {
		for _, c := range []int{1, 10, 50} {
			res, err := CompareCPU(ctx, direct, floor, Load{Spec: api.Spec(false, 0), Concurrency: c,
				PerBlock: sz.perBlock[c], Rounds: sz.rounds, Warmup: sz.warmup}, p.Pid())
			if err != nil {
				return fmt.Errorf("bare proxy %s c=%d: %w", api.Name, c, err)
			}
			rep.Floor = append(rep.Floor, Row{Label: api.Name, Concurrency: c, Result: res})
			logRow("bare proxy", api.Name, c, res)
		}
	}
	return nil
}
