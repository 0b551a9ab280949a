package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/hooks"
)

// The Settings page lists each hook with its wiring and recent calls, and
// says plainly when nothing sends to one.
func TestSettingsShowsHooks(t *testing.T) {
	t.Parallel()
	views := []HookView{
		{Name: "guard", URL: "https://guard.example/check", FailPolicy: "fail_closed", Timeout: 2 * time.Second,
			Events: []string{"pre_request"},
			Stats: hooks.HookStats{Name: "guard", Calls: 2, Failures: 1, Outcomes: map[string]int{"block": 1, "failed_closed": 1},
				Recent: []hooks.Call{{Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Event: hooks.PreRequest, Outcome: "failed_closed", Error: "no answer within 2s"}}}},
		{Name: "orphan", URL: "https://orphan.example/", FailPolicy: "fail_open"},
	}
	f := newPageFixture(t)
	f.src.config.Hooks = views
	status, page := f.get(t, "alice", "/ui/settings")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{`id="hook-guard"`, "https://guard.example/check", "fail_closed", "2 calls", "1 failed",
		"no answer within 2s", `id="hook-orphan"`, "no grant in this config sends to it", "Not called yet."} {
		if !strings.Contains(page, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
}
