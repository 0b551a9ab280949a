package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tsplug/ts-plug/internal/tailnettest"
	"tailscale.com/tsnet"
)

// echoHandler is the tunnel benchmark's upstream: /echo answers a short
// text (after reading the body), /download?n= sends n zero bytes.
func echoHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		io.CopyN(w, zeroReader{}, n)
	})
	return mux
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Tailnet is the offline tailnet with its benchmark members: an
// in-process echo node, the same echo on loopback, and ts-unplug
// processes.
type Tailnet struct {
	tn        *tailnettest.Tailnet
	dir       string
	unplugBin string
	EchoLocal string // loopback URL of the echo
	echo      *tsnet.Server
	profile   string // with -profile: where ts-unplug's CPU profiles go
	cpus      []int  // where ts-unplug runs (nil: anywhere)
	closers   []func()
}

// startTailnet brings up the offline tailnet and the echo node "echo".
func startTailnet(ctx context.Context, dir, unplugBin string) (*Tailnet, error) {
	tn, err := tailnettest.Start(tailnettest.Options{})
	if err != nil {
		return nil, fmt.Errorf("starting the offline tailnet: %w", err)
	}
	t := &Tailnet{tn: tn, dir: dir, unplugBin: unplugBin}
	t.closers = append(t.closers, tn.Close)
	nctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	node, err := tn.NewNode(nctx, tailnettest.NodeOptions{Hostname: "echo"})
	if err != nil {
		t.Close()
		return nil, err
	}
	t.echo = node
	ln, err := node.Listen("tcp", ":80")
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("echo node port 80: %w", err)
	}
	hs := &http.Server{Handler: echoHandler()}
	go hs.Serve(ln)
	t.closers = append(t.closers, func() { hs.Close() })
	lln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("loopback echo: %w", err)
	}
	ls := &http.Server{Handler: echoHandler()}
	go ls.Serve(lln)
	t.closers = append(t.closers, func() { ls.Close() })
	t.EchoLocal = "http://" + lln.Addr().String()
	return t, nil
}

// Close stops everything in reverse order of start.
func (t *Tailnet) Close() {
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
	t.closers = nil
}

// ApertureArgs are the flags that join aperture to this tailnet as "ai".
func (t *Tailnet) ApertureArgs() []string {
	return []string{"--hostname", "ai", "--control-url", t.tn.ControlURL, "--authkey", t.tn.AuthKey, "--ephemeral"}
}

// Env is the environment for child processes that join the tailnet.
func (t *Tailnet) Env() []string { return t.tn.ChildEnv() }

// startUnplug runs ts-unplug as device hostname forwarding to target and
// returns it with its local URL once a GET of probe through it answers
// 200.
func (t *Tailnet) startUnplug(ctx context.Context, hostname, target string, probe RequestSpec) (*Proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	env := t.Env()
	if t.profile != "" {
		env = append(env, "TSPLUG_CPUPROFILE="+t.profile+"."+hostname+".pprof")
	}
	p, err := StartProc("ts-unplug-"+hostname, t.cpus, env, t.unplugBin,
		"-dir", filepath.Join(t.dir, "unplug-"+hostname), "-port", strconv.Itoa(port), "-hostname", hostname,
		"-control-url", t.tn.ControlURL, "-authkey", t.tn.AuthKey, "-ephemeral", target)
	if err != nil {
		return nil, "", err
	}
	url := loopbackURL(port)
	if _, err := waitServed(ctx, p, NewTarget("ts-unplug", url), probe, 90*time.Second); err != nil {
		p.Stop()
		return nil, "", err
	}
	t.closers = append(t.closers, p.Stop)
	return p, url, nil
}

// Throughput is a large download's speed.
type Throughput struct {
	Bytes       int64
	Direct, Via time.Duration
	DirectMBs   float64
	ViaMBs      float64
}

// measureThroughput downloads n bytes from each side, twice, alternating,
// and keeps each side's best time.
func measureThroughput(ctx context.Context, direct, via Target, n int64) (Throughput, error) {
	spec := RequestSpec{Method: "GET", Path: "/download?n=" + strconv.FormatInt(n, 10)}
	best := func(t Target, cur time.Duration) (time.Duration, error) {
		tm, err := t.Do(ctx, spec)
		if err != nil {
			return 0, err
		}
		if tm.Bytes != n {
			return 0, fmt.Errorf("%s: got %d bytes, want %d", t.Name, tm.Bytes, n)
		}
		if cur == 0 || tm.Total < cur {
			return tm.Total, nil
		}
		return cur, nil
	}
	var tp Throughput
	tp.Bytes = n
	var err error
	for range 2 {
		if tp.Direct, err = best(direct, tp.Direct); err != nil {
			return tp, err
		}
		if tp.Via, err = best(via, tp.Via); err != nil {
			return tp, err
		}
	}
	tp.DirectMBs = mbps(n, tp.Direct)
	tp.ViaMBs = mbps(n, tp.Via)
	return tp, nil
}

// mbps is megabytes (10^6) per second.
func mbps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

// tempDir makes the run's scratch directory.
func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "tsplug-bench-")
	if err != nil {
		return "", fmt.Errorf("creating scratch dir: %w", err)
	}
	return d, nil
}

// PathTo says how the echo node reaches peer hostname: directly over UDP
// (and at which address) or relayed through DERP, which would bound the
// tunnel's throughput very differently.
func (t *Tailnet) PathTo(ctx context.Context, hostname string) string {
	lc, err := t.echo.LocalClient()
	if err != nil {
		return "unknown: " + err.Error()
	}
	st, err := lc.Status(ctx)
	if err != nil {
		return "unknown: " + err.Error()
	}
	for _, p := range st.Peer {
		if p.HostName != hostname {
			continue
		}
		if p.CurAddr != "" {
			return "direct UDP to " + p.CurAddr
		}
		if p.Relay != "" {
			return "relayed through DERP region " + p.Relay
		}
		return "no traffic yet"
	}
	return "peer " + hostname + " not found"
}
