package ui

import (
	"strings"
	"testing"
)

func TestAdoption(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	status, body := f.get(t, "alice", "/ui/adoption")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	want(t, body, []string{
		"Active users per day", ">3<" /* alice, bob, tag:ci */, `href="/api/usage.csv?from=2026-04-11&amp;to=2026-05-11"`,
		"Download CSV", `<a href="/ui/dashboard/bob@example.com">bob@example.com</a>`, "Model popularity",
		`<meter min="0" max="2" value="2"`, "claude-sonnet-4-5",
	}, nil)
	// Today three principals were active (alice, bob, tag:ci).
	if !strings.Contains(body, "May 10 · active users: 3") {
		t.Errorf("active users today not 3")
	}
	// Top users are ranked by tokens: alice first.
	if strings.Index(body, ">alice@example.com</a>") > strings.Index(body, ">bob@example.com</a>") {
		t.Errorf("top users not ranked by tokens")
	}

	if status, body := f.get(t, "bob", "/ui/adoption"); status != 403 || strings.Contains(body, "alice@example.com") {
		t.Errorf("user got adoption: %d", status)
	}
}

func TestAdoptionEmpty(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	_, body := f.get(t, "alice", "/ui/adoption?days=7")
	if !strings.Contains(body, "Active users per day") {
		t.Fatalf("7 days should still include today's usage")
	}
	f.src.store = emptyStore(t)
	_, body = f.get(t, "alice", "/ui/adoption")
	want(t, body, []string{"Nobody has sent a request", "/ui/connect"}, []string{"<svg class=\"chart\""})
}
