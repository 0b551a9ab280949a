package ui

import (
	"time"

	"github.com/tsplug/ts-plug/gateway/hooks"
)

// HookView is one configured hook as the Settings page shows it: how it
// is set up and what its recent calls did, so an admin can see that a
// guardrail really screens requests, and why one fails.
type HookView struct {
	Name       string
	URL        string // credentials in it masked
	FailPolicy string
	Timeout    time.Duration
	Preference int
	Disabled   bool
	// Events are those some grant wires the hook to; none means no grant
	// does, so it is never called.
	Events []string
	Stats  hooks.HookStats
}

// Wired reports whether some grant calls the hook.
func (h HookView) Wired() bool { return len(h.Events) > 0 }
