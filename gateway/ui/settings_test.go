package ui

import (
	"testing"
	"time"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	status, body := f.get(t, "alice", "/ui/settings")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	want(t, body, []string{`data-hash="abc123"`, "// comment", "sk-p…(masked)", "/etc/aperture/config.hujson",
		`<script src="/ui/static/settings.js"></script>`, `id="validate"`,
		`id="secret-refs"`, "the references the host's admin allowed", `id="messages"`}, []string{"disabled", "<script>"})

	f.src.config.Writable, f.src.config.Path = false, ""
	_, body = f.get(t, "alice", "/ui/settings")
	want(t, body, []string{"cannot be saved here", `id="save" disabled`}, nil)

	if status, body := f.get(t, "bob", "/ui/settings"); status != 403 || !contains(body, "for admins") {
		t.Errorf("user got settings: %d", status)
	}
}

// TestSettingsReplicas: on a replica, the page says which shared version
// it runs, how many live replicas run it, and lists each with its last
// heartbeat, stale ones marked; a single gateway shows none of it.
func TestSettingsReplicas(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	_, body := f.get(t, "alice", "/ui/settings")
	want(t, body, nil, []string{`id="replicas"`, "Replicas share"})

	saved := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	f.src.config.Shared = &SharedConfig{Replica: "ai-1", Seq: 7, Author: "bob@example.com", SavedAt: saved,
		Pending: 8, PendingError: "environment variable B_KEY is not set",
		Replicas: []ReplicaView{
			{ID: "ai-1", Hostname: "host-1", Version: "v1.2.3", ConfigSeq: 7, Started: saved, Age: 2 * time.Second, Self: true},
			{ID: "ai-2", Hostname: "host-2", Version: "v1.2.3", ConfigSeq: 8, Started: saved, Age: 3 * time.Second},
			{ID: "ai-3", Hostname: "host-3", Version: "v1.2.2", ConfigSeq: 7, Started: saved, Age: 125 * time.Second, Stale: true},
		}}
	_, body = f.get(t, "alice", "/ui/settings")
	want(t, body, []string{`id="replicas"`, `id="config-version">7<`, "saved by bob@example.com at Dec 7 09:30:00 UTC",
		"1 of 2 live replicas run it", "Version 8 could not be applied on this replica", "B_KEY is not set",
		"ai-1 <span class=\"muted\">(this one)</span>", "host-2", "2 s ago", "3 s ago", `<tr class="failed"><td>ai-3`, "125 s ago <strong>stale</strong>"}, nil)

	f.src.config.Shared.ReplicasError = "The replica list cannot be read; the gateway's log says why."
	_, body = f.get(t, "alice", "/ui/settings")
	want(t, body, []string{"The replica list cannot be read"}, []string{`id="replica-list"`})
}
