package ui

import (
	"bytes"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"sync"
)

// files holds the page templates and the static assets (CSS, two small
// scripts), compiled into the binary.
//
//go:embed templates/*.html static/*
var files embed.FS

// pages are the page templates by name, each parsed together with
// base.html, which holds the layout and navigation.
var pages = sync.OnceValue(func() map[string]*template.Template {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := n[len("templates/") : len(n)-len(".html")]
		if name == "base" {
			continue
		}
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(files, "templates/base.html", n))
	}
	return out
})

// pageData is what every page template gets: the layout's needs, and the
// page's own data in Body.
type pageData struct {
	Title   string
	Nav     string // which menu entry is current
	Viewer  Viewer
	Version string
	Notices []string // gateway-wide warnings, above every page
	Body    any
}

// render executes page into a buffer first, so a template failure becomes
// a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, status int, page string, d pageData) error {
	t, ok := pages()[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	d.Version = h.src.Version()
	d.Notices = h.notices()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", d); err != nil {
		return fmt.Errorf("rendering %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// errorBody is the error page's data.
type errorBody struct {
	Status  int
	Message string
}

// renderError answers with an error page. An httpError's message is
// meant for the viewer and shown; any other error is unexpected: a 500
// saying what failed (internal's what) and an error ID, with the error
// itself, which may name files and SQL, logged under that ID.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, v Viewer, err error) {
	he := (*httpError)(nil)
	if !errors.As(err, &he) {
		id := "err-" + rand.Text()[:12]
		h.Logf("ERROR dashboard %s %s (error %s): %v", r.Method, r.URL.Path, id, err)
		what := "The page failed"
		if pf := (*pageFailure)(nil); errors.As(err, &pf) {
			what = "The page failed " + pf.what
		}
		he = &httpError{http.StatusInternalServerError, what + " (error " + id + "; the gateway's log has the details under that ID)."}
	}
	d := pageData{Title: http.StatusText(he.status), Viewer: v, Body: errorBody{he.status, he.msg}}
	if rerr := h.render(w, he.status, "error", d); rerr != nil {
		http.Error(w, he.msg, he.status)
	}
}

// staticHandler serves the embedded CSS and scripts. They change only
// with the binary, so browsers may cache them briefly.
func staticHandler() http.Handler {
	fsrv := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		fsrv.ServeHTTP(w, r)
	})
}
