package ui

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEveryTemplateParses(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dashboard", "logs", "detail", "models", "adoption", "settings", "connect", "error"} {
		if pages()[name] == nil {
			t.Errorf("no template %s", name)
		}
	}
}

func TestRenderErrorPage(t *testing.T) {
	t.Parallel()
	h := New(&fakeSource{}, nil)
	var logged strings.Builder
	h.Logf = func(f string, a ...any) { fmt.Fprintf(&logged, f, a...) }
	r := httptest.NewRequest("GET", "/ui/x", nil)
	w := httptest.NewRecorder()
	h.renderError(w, r, Viewer{Principal: bob}, &httpError{418, "tea <time>"})
	body := w.Body.String()
	if w.Code != 418 || !strings.Contains(body, "tea &lt;time&gt;") || !strings.Contains(body, "bob@example.com") {
		t.Errorf("%d %s", w.Code, body)
	}
	// A plain error is internal: logged, not shown.
	w = httptest.NewRecorder()
	h.renderError(w, r, Viewer{}, errString("disk on fire"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "disk on fire") || !strings.Contains(w.Body.String(), "The page failed (error err-") {
		t.Errorf("plain error: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logged.String(), "disk on fire") {
		t.Errorf("plain error not logged: %q", logged.String())
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestNoLedger(t *testing.T) {
	t.Parallel()
	h := New(&fakeSource{viewers: map[string]Viewer{"bob": {Principal: bob}}}, nil)
	for _, p := range []string{"/ui/", "/ui/logs"} {
		w := serve(h, newReq("bob", p))
		if w.Code != 503 || !strings.Contains(w.Body.String(), "keeps no ledger") {
			t.Errorf("%s without a ledger: %d", p, w.Code)
		}
	}
	// Pages that need no ledger still work.
	for _, p := range []string{"/ui/models", "/ui/connect"} {
		if w := serve(h, newReq("bob", p)); w.Code != 200 {
			t.Errorf("%s without a ledger: %d", p, w.Code)
		}
	}
}
