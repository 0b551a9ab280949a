package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// benchConfig has every feature on: grants, quota limits (a bucket too
// large to ever reject, so every request reserves and settles), metering
// into the ledger (each row durable before its answer ends) and
// captures (the default retention keeps them). read_metrics lets the
// harness read the gateway's allocation counter from /metrics. %[1]s is
// the fake provider, %[2]s the fake that streams huge answers; %[3]s,
// %[4]s and %[5]s are the three providers' apikey values (providerKeys).
const benchConfig = `{
  "providers": {
    "openai": {"baseurl": "%[1]s", "apikey": "%[3]s", "models": ["gpt-4o"],
      "compatibility": {"openai_chat": true, "openai_responses": true}, "cost_basis": "openai"},
    "anthropic": {"baseurl": "%[1]s", "apikey": "%[4]s", "models": ["claude-sonnet-4-5"],
      "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}, "cost_basis": "anthropic"},
    "big": {"baseurl": "%[2]s", "apikey": "%[5]s", "models": ["gpt-4o-mini"],
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

// providerKeys are the apikey values of the config's three providers
// (openai, anthropic, big): the keys themselves, or env: references.
type providerKeys [3]string

// literalKeys are the keys written into the config, as a single SQLite
// gateway's config may have them.
var literalKeys = providerKeys{"sk-openai-bench", "sk-ant-bench", "sk-big-bench"}

// sharedKeys are env: references for a config shared through
// PostgreSQL, where a literal key is refused (it would leave the host in
// the database); keyEnv sets the variables they name.
var sharedKeys = providerKeys{"env:BENCH_OPENAI_KEY", "env:BENCH_ANTHROPIC_KEY", "env:BENCH_BIG_KEY"}

// sharedKeyPattern is the --allow-secret-ref pattern that lets a replica
// use sharedKeys (a shared config's references count only where the
// replica's own flags allow them).
const sharedKeyPattern = "env:BENCH_*"

// keyEnv is the environment that resolves sharedKeys to literalKeys.
func keyEnv() []string {
	env := make([]string, len(sharedKeys))
	for i, ref := range sharedKeys {
		env[i] = strings.TrimPrefix(ref, "env:") + "=" + literalKeys[i]
	}
	return env
}

// configText is the benchmark config with its fakes and keys filled in.
func configText(fakeURL, bigURL string, keys providerKeys) string {
	return fmt.Sprintf(benchConfig, fakeURL, bigURL, keys[0], keys[1], keys[2])
}

// writeConfig writes the benchmark config, with literal keys, into a
// fresh state directory under dir and returns the directory and the
// config path.
func writeConfig(dir, name, fakeURL, bigURL string) (stateDir, cfgPath string, err error) {
	return writeConfigKeys(dir, name, fakeURL, bigURL, literalKeys)
}

// writeConfigKeys is writeConfig with the providers' apikey values keys.
func writeConfigKeys(dir, name, fakeURL, bigURL string, keys providerKeys) (stateDir, cfgPath string, err error) {
	stateDir = filepath.Join(dir, "state-"+name)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", "", fmt.Errorf("creating state dir: %w", err)
	}
	cfgPath = filepath.Join(stateDir, "config.hujson")
	if err := os.WriteFile(cfgPath, []byte(configText(fakeURL, bigURL, keys)), 0o600); err != nil {
		return "", "", fmt.Errorf("writing config: %w", err)
	}
	return stateDir, cfgPath, nil
}

// Aperture is a running gateway child process.
type Aperture struct {
	*Proc
	URL      string // its --listen base URL
	StateDir string
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
	if tailnetArgs == nil {
		tailnetArgs = []string{"--no-tailnet"}
	}
	return startApertureIn(ctx, cpus, bin, name, stateDir, cfgPath, env, tailnetArgs)
}

// startApertureIn is startAperture with its state directory and config
// already written, and extra the arguments after --listen (--no-tailnet,
// a tailnet's, --database).
func startApertureIn(ctx context.Context, cpus []int, bin, name, stateDir, cfgPath string, env []string, extra []string) (*Aperture, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	args := []string{"--state-dir", stateDir, "--config", cfgPath, "--listen", fmt.Sprintf("127.0.0.1:%d", port)}
	args = append(args, extra...)
	start := time.Now()
	p, err := StartProc(name, cpus, env, bin, args...)
	if err != nil {
		return nil, 0, err
	}
	a := &Aperture{Proc: p, URL: loopbackURL(port), StateDir: stateDir}
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
