package main

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/app"
	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd/servicecmdtest"
)

func TestServiceCommands(t *testing.T) {
	installed := installers.Installed{Executable: "/usr/local/bin/aperture",
		Arguments: []string{"--state-dir", "/var/lib/aperture", "--config", "/var/lib/aperture/config.hujson", "--listen", ":8080"}}
	system := func(state string) map[string]servicecmdtest.Unit {
		return map[string]servicecmdtest.Unit{"system/aperture": {State: state, Installed: installed}}
	}
	tests := []struct {
		name       string
		units      map[string]servicecmdtest.Unit
		args       []string
		health     int // what /healthz answers; 0: not reachable
		wantCode   int
		wantOut    []string
		wantCalls  []string
		wantHealth string // the URL status asked
	}{
		{name: "status, nothing installed", args: []string{"status"}, wantCode: 1,
			wantOut: []string{"aperture: no aperture service is installed (`sudo aperture install` or `aperture install --user` sets one up)"}},
		{name: "status of a healthy system service", units: system(installers.StatusRunning), args: []string{"status"}, health: 200,
			wantOut: []string{
				"service:     running (system service aperture)",
				"state dir:   /var/lib/aperture",
				"config:      /var/lib/aperture/config.hujson",
				"device:      ai (http://ai on the tailnet)",
				"health:      http://127.0.0.1:8080/healthz: ok",
			}, wantHealth: "http://127.0.0.1:8080/healthz"},
		{name: "status of an unhealthy gateway", units: system(installers.StatusRunning), args: []string{"status"}, health: 503, wantCode: 1,
			wantOut: []string{"health:      http://127.0.0.1:8080/healthz: 503 unavailable: no enabled provider", "the gateway is unhealthy"}},
		{name: "status, --listen not answering", units: system(installers.StatusRunning), args: []string{"status"}, wantCode: 1,
			wantOut: []string{"connection refused", "does not answer"}},
		{name: "status of a stopped service", units: system(installers.StatusStopped), args: []string{"status"}, wantCode: 1,
			wantOut: []string{"service:     stopped (system service aperture)", "the service is stopped; `aperture start` starts it"}},
		{name: "status of a per-user service without --listen",
			units: map[string]servicecmdtest.Unit{"user/aperture": {State: installers.StatusRunning,
				Installed: installers.Installed{Executable: "/home/a/bin/aperture", Arguments: []string{"--state-dir", "/home/a/.config/aperture", "--hostname", "llm"}}}},
			args: []string{"status"},
			wantOut: []string{"service:     running (per-user service aperture)", "config:      /home/a/.config/aperture/config.hujson",
				"device:      llm", "health:      - (no --listen address to ask; /healthz is on the tailnet at http://llm/healthz)"}},
		{name: "status takes no arguments", units: system(installers.StatusRunning), args: []string{"status", "now"}, wantCode: 2,
			wantOut: []string{"aperture: status takes no arguments"}},
		{name: "start", units: system(installers.StatusStopped), args: []string{"start"},
			wantOut: []string{"aperture: start aperture done"}, wantCalls: []string{"start system/aperture"}},
		{name: "stop", units: system(installers.StatusRunning), args: []string{"stop"}, wantCalls: []string{"stop system/aperture"}},
		{name: "restart --user", units: map[string]servicecmdtest.Unit{"user/aperture": {State: installers.StatusRunning}},
			args: []string{"restart", "--user"}, wantCalls: []string{"restart user/aperture"}},
		{name: "restart, nothing installed", args: []string{"restart"}, wantCode: 1,
			wantOut: []string{"no system or per-user service aperture is installed"}},
		{name: "uninstall", units: system(installers.StatusRunning), args: []string{"uninstall"},
			wantOut:   []string{"aperture: removed system service aperture; its state directory /var/lib/aperture is kept"},
			wantCalls: []string{"uninstall system/aperture"}},
		{name: "uninstall finds the per-user service", units: map[string]servicecmdtest.Unit{"user/aperture": {State: installers.StatusStopped}},
			args: []string{"uninstall"}, wantOut: []string{"aperture: removed per-user service aperture"}, wantCalls: []string{"uninstall user/aperture"}},
		{name: "uninstall --root", args: []string{"uninstall", "--root", "/pkg"}, wantCalls: []string{"uninstall system/aperture below /pkg"}},
		{name: "uninstall, nothing installed", args: []string{"uninstall"}, wantCode: 1,
			wantOut: []string{"aperture: uninstall: no system or per-user service aperture is installed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &servicecmdtest.Fake{Units: tt.units}
			var asked string
			get := func(_ context.Context, url string) (int, string, error) {
				asked = url
				if tt.health == 0 {
					return 0, "", errors.New("dial tcp 127.0.0.1:8080: connect: connection refused")
				}
				return tt.health, map[int]string{200: "ok\n", 503: "unavailable: no enabled provider can serve requests\n"}[tt.health], nil
			}
			var out bytes.Buffer
			code := app.Main(append([]string{"aperture"}, tt.args...), "test", &out, &out, serviceCommands(m, get, &out)...)
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d:\n%s", code, tt.wantCode, out.String())
			}
			if !slices.Equal(m.Calls(), tt.wantCalls) {
				t.Errorf("manager calls %q, want %q", m.Calls(), tt.wantCalls)
			}
			if tt.wantHealth != "" && asked != tt.wantHealth {
				t.Errorf("asked %q for health, want %q", asked, tt.wantHealth)
			}
		})
	}
}

func TestLocalAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080", ":8080": "127.0.0.1:8080", "0.0.0.0:9": "127.0.0.1:9",
		"[::]:8080": "[::1]:8080", "[::1]:8080": "[::1]:8080", "10.0.0.5:80": "10.0.0.5:80",
	} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
