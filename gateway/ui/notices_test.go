package ui

import (
	"strings"
	"testing"
	"time"
)

// noticeSource is the fake source with gateway-wide notices.
type noticeSource struct {
	*fakeSource
	notices []string
}

func (n noticeSource) Notices() []string { return n.notices }

// TestKeyExpiryBanner checks that a gateway's warning about its own node
// key reaches every page, for users and admins alike, escaped as text,
// and that a source with no notices shows no banner.
func TestKeyExpiryBanner(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	expiry := "this gateway's node key expires in 3 days (2026-05-13 12:00 UTC), and then every client loses it: " +
		"disable key expiry for this device on the admin console's Machines page <or tag it>"
	f.h = New(noticeSource{f.src, []string{expiry}}, func() time.Time { return testNow })
	escaped := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(expiry, "'", "&#39;"), "<", "&lt;"), ">", "&gt;")
	pages := []struct{ viewer, path string }{
		{"bob", "/ui/"},
		{"bob", "/ui/logs"},
		{"bob", "/ui/models"},
		{"bob", "/ui/connect"},
		{"bob", "/ui/nope"}, // the error page too
		{"alice", "/ui/"},
		{"alice", "/ui/adoption"},
	}
	for _, p := range pages {
		_, body := f.get(t, p.viewer, p.path)
		if !strings.Contains(body, `role="alert"><strong>Gateway warning:</strong> `+escaped+`</p>`) {
			t.Errorf("%s as %s: no key-expiry banner\n%s", p.path, p.viewer, body)
		}
		if strings.Contains(body, "<or tag it>") {
			t.Errorf("%s: the notice is not escaped", p.path)
		}
	}

	quiet := newPageFixture(t) // a source without Notices
	if _, body := quiet.get(t, "bob", "/ui/"); strings.Contains(body, "Gateway warning") {
		t.Errorf("a banner without notices:\n%s", body)
	}
	f.h = New(noticeSource{f.src, nil}, func() time.Time { return testNow })
	if _, body := f.get(t, "alice", "/ui/"); strings.Contains(body, "Gateway warning") {
		t.Errorf("a banner for an empty notice list:\n%s", body)
	}
}
