package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// TestWatchConfig runs the watcher in a synctest bubble: its ticker runs
// on the bubble's fake clock, so a tick is a time.Sleep of one interval
// (instant) and synctest.Wait returns once the watcher has acted on it.
func TestWatchConfig(t *testing.T) {
	const interval = time.Second
	base := `{"providers": {"a": {"baseurl": "http://127.0.0.1:1", "apikey": "k", "models": ["m1"],
	  "compatibility": {"openai_chat": true}}},
	  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}}]}`
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "aperture.hujson")
		write := func(src string) {
			t.Helper()
			if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write(base)
		cfg, diags, err := config.ParseFile(path, []byte(base))
		if err != nil {
			t.Fatal(err, diags)
		}
		gw, err := New(cfg, []byte(base), Options{Ledger: &recordingSink{}, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		reloads := func(result string) float64 { return configReloads(t, gw, "file", result) }
		models := func() string {
			c, _ := gw.Config()
			return strings.Join(c.Providers["a"].Models, ",")
		}
		ctx, cancel := context.WithCancel(t.Context())
		kick := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			gw.WatchConfig(ctx, path, interval, kick)
		}()
		defer func() {
			cancel()
			<-done
			gw.Wait(time.Second) // stops the webhook workers New started
		}()
		tick := func() {
			time.Sleep(interval)
			synctest.Wait()
		}

		// An unchanged file is not reloaded.
		tick()
		if ok, bad := reloads("ok"), reloads("error"); ok != 0 || bad != 0 {
			t.Fatalf("unchanged file: %v reloads, %v failures", ok, bad)
		}

		// A changed file is picked up at the next tick.
		changed := strings.Replace(base, `["m1"]`, `["m1", "m2"]`, 1)
		write(changed)
		tick()
		if got := models(); got != "m1,m2" || reloads("ok") != 1 {
			t.Fatalf("after an edit: models %q, %v reloads", got, reloads("ok"))
		}
		if _, src := gw.Config(); string(src) != changed {
			t.Errorf("running config text is not the file's")
		}

		// A file that does not load keeps the running config.
		write(`{ "providers": `)
		tick()
		if got := models(); got != "m1,m2" || reloads("error") != 1 {
			t.Fatalf("after a broken edit: models %q, %v failures", got, reloads("error"))
		}
		// A missing file keeps it too.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		tick()
		if got := models(); got != "m1,m2" {
			t.Fatalf("after removing the file: models %q", got)
		}

		// Fixed again: picked up.
		write(base)
		tick()
		if got := models(); got != "m1" || reloads("ok") != 2 {
			t.Fatalf("after the fix: models %q, %v reloads", got, reloads("ok"))
		}

		// A kick (SIGHUP) reloads at once, before any tick, even an
		// unchanged file.
		before := reloads("ok")
		select {
		case kick <- struct{}{}:
		case <-time.After(interval / 2):
			t.Fatal("the watcher does not take a kick")
		}
		synctest.Wait()
		if got := reloads("ok"); got != before+1 {
			t.Fatalf("kick: %v reloads, want %v", got, before+1)
		}
	})
}

// configReloads reads aperture_config_reloads_total{source,result} from
// the gateway's registry (0 before the first).
func configReloads(t *testing.T, gw *Server, source, result string) float64 {
	t.Helper()
	fams, err := gw.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "aperture_config_reloads_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == source && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
