package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// benchConfig has every feature on: grants, quota limits (a bucket too
// large to ever reject, so every request reserves and settles), metering
// into the ledger (each row committed before its answer ends) and
// captures (the default retention keeps them). read_metrics lets the
// harness read the gateway's allocation counter from /metrics. %[1]s is
// the fake provider, %[2]s the fake that streams huge answers.
const benchConfig = `{
  "providers": {
    "openai": {"baseurl": "%[1]s", "apikey": "sk-openai-bench", "models": ["gpt-4o"],
      "compatibility": {"openai_chat": true, "openai_responses": true}, "cost_basis": "openai"},
    "anthropic": {"baseurl": "%[1]s", "apikey": "sk-ant-bench", "models": ["claude-sonnet-4-5"],
      "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}, "cost_basis": "anthropic"},
    "big": {"baseurl": "%[2]s", "apikey": "sk-big-bench", "models": ["gpt-4o-mini"],
      "compatibility": {"openai_chat": true}, "cost_basis": "openai"},
  },
  "quotas": {
    "bench": {"capacity": "$1000000.00", "rate": "$1000000.00/day", "on_exceed": "reject"},
  },
  "grants": [
    {"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"read_metrics": true}, {"models": "**", "quotas": [{"bucket": "bench"}]}]}},
    {"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**", "quotas": [{"bucket": "bench"}]}]}},
  ],
}
`

// writeConfig writes the benchmark config into a fresh state directory
// under dir and returns the directory and the config path.
func writeConfig(dir, name, fakeURL, bigURL string) (stateDir, cfgPath string, err error) {
	stateDir = filepath.Join(dir, "state-"+name)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", "", fmt.Errorf("creating state dir: %w", err)
	}
	cfgPath = filepath.Join(stateDir, "config.hujson")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(benchConfig, fakeURL, bigURL)), 0o600); err != nil {
		return "", "", fmt.Errorf("writing config: %w", err)
	}
	return stateDir, cfgPath, nil
}

// Aperture is a running gateway child process.
type Aperture struct {
	*Proc
	URL string // its --listen base URL
}

// MetricsURL is its Prometheus endpoint on the --listen port.
func (a *Aperture) MetricsURL() string { return a.URL + "/metrics" }

// startAperture starts the gateway on cpus with a fresh state directory,
// serving --listen on a free port; tailnetArgs (nil for --no-tailnet)
// join it to a tailnet. It returns once a chat completion through it
// succeeds, and how long that took from exec.
func startAperture(ctx context.Context, cpus []int, bin, dir, name, fakeURL, bigURL string, env []string, tailnetArgs []string) (*Aperture, time.Duration, error) {
	stateDir, cfgPath, err := writeConfig(dir, name, fakeURL, bigURL)
	if err != nil {
		return nil, 0, err
	}
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	args := []string{"--state-dir", stateDir, "--config", cfgPath, "--listen", fmt.Sprintf("127.0.0.1:%d", port)}
	if tailnetArgs == nil {
		args = append(args, "--no-tailnet")
	} else {
		args = append(args, tailnetArgs...)
	}
	start := time.Now()
	p, err := StartProc(name, cpus, env, bin, args...)
	if err != nil {
		return nil, 0, err
	}
	a := &Aperture{Proc: p, URL: loopbackURL(port)}
	ready, err := waitServed(ctx, p, NewTarget(name, a.URL), chatSpec(false, 0), 60*time.Second)
	if err != nil {
		p.Stop()
		return nil, 0, err
	}
	return a, ready.Sub(start), nil
}

// waitServed retries spec against t, as fast as the loopback allows, until
// it is answered 200; it returns when the answer arrived.
func waitServed(ctx context.Context, p *Proc, t Target, spec RequestSpec, limit time.Duration) (time.Time, error) {
	defer t.Close()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		if _, err := t.Do(ctx, spec); err == nil {
			return time.Now(), nil
		} else {
			last = err
		}
		if p != nil && p.Exited() {
			return time.Time{}, fmt.Errorf("%s exited: %v\n%s", p.Name, last, p.Output())
		}
		select {
		case <-ctx.Done():
			out := ""
			if p != nil {
				out = p.Output()
			}
			return time.Time{}, fmt.Errorf("%s never served: %v\n%s", t.Name, last, out)
		case <-time.After(time.Millisecond):
		}
	}
}
