package ui

import "testing"

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
