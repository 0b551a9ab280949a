package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// throughputRuns is how many times each side downloads the large body;
// the report gives the median (issue #16 states its target as one).
const throughputRuns = 5

// Throughput is a large download's speed: the median of throughputRuns
// downloads each side, alternating, and the via side's spread.
type Throughput struct {
	Bytes       int64
	Runs        int
	Direct, Via time.Duration // median times
	DirectMBs   float64
	ViaMBs      float64 // median
	ViaMinMBs   float64
	ViaMaxMBs   float64
	// UnplugBusy and HarnessBusy are the CPU time ts-unplug and this
	// harness (the client and the echo node at the far end) used during
	// the via downloads, as a fraction of their wall time: the side near
	// the number of CPUs it was given is the one that bounds the speed.
	UnplugBusy, HarnessBusy float64
	// UnplugCPUPerMB is ts-unplug's CPU time per megabyte carried: its
	// cost, which other load on the machine changes much less than the
	// speed.
	UnplugCPUPerMB time.Duration
	// UnplugRSS is ts-unplug's largest resident set during the via
	// downloads: what a faster transfer costs in memory.
	UnplugRSS int64
}

// measureThroughput downloads n bytes from each side throughputRuns
// times, alternating, and keeps the median time of each; unplugPid is the
// ts-unplug on the via side, whose CPU time is measured with the
// harness's own.
func measureThroughput(ctx context.Context, direct, via Target, n int64, unplugPid int) (tp Throughput, err error) {
	spec := RequestSpec{Method: "GET", Path: "/download?n=" + strconv.FormatInt(n, 10)}
	get := func(t Target) (time.Duration, error) {
		tm, err := t.Do(ctx, spec)
		if err != nil {
			return 0, err
		}
		if tm.Bytes != n {
			return 0, fmt.Errorf("%s: got %d bytes, want %d", t.Name, tm.Bytes, n)
		}
		return tm.Total, nil
	}
	tp = Throughput{Bytes: n, Runs: throughputRuns}
	var directs, vias []time.Duration
	var wall, unplugCPU, selfCPU time.Duration
	measured := 0 // via downloads whose CPU times were read
	rss := StartSampler(unplugPid, 20*time.Millisecond)
	defer func() { tp.UnplugRSS = rss.Stop() }()
	for range throughputRuns {
		d, err := get(direct)
		if err != nil {
			return tp, err
		}
		directs = append(directs, d)
		u0, uerr := processCPU(unplugPid)
		s0, serr := processCPU(os.Getpid())
		v, err := get(via)
		if err != nil {
			return tp, err
		}
		u1, uerr1 := processCPU(unplugPid)
		s1, serr1 := processCPU(os.Getpid())
		if uerr == nil && uerr1 == nil && serr == nil && serr1 == nil {
			wall += v
			unplugCPU += u1 - u0
			selfCPU += s1 - s0
			measured++
		}
		vias = append(vias, v)
	}
	tp.Direct = Summarize(directs).P50
	sv := Summarize(vias)
	tp.Via = sv.P50
	tp.DirectMBs = mbps(n, tp.Direct)
	tp.ViaMBs = mbps(n, tp.Via)
	tp.ViaMinMBs = mbps(n, sv.Max)
	tp.ViaMaxMBs = mbps(n, slices.Min(vias))
	if wall > 0 {
		tp.UnplugBusy = unplugCPU.Seconds() / wall.Seconds()
		tp.HarnessBusy = selfCPU.Seconds() / wall.Seconds()
		tp.UnplugCPUPerMB = time.Duration(float64(unplugCPU) / (float64(n) / 1e6 * float64(measured)))
	}
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
