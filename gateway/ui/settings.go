package ui

import (
	"net/http"
	"strings"
)

// settingsBody is the Settings page (admins): the config in an editor.
type settingsBody struct {
	Config ConfigView
	Lines  int
}

// settings shows the running config, secrets masked, in an editor whose
// script validates it and saves it through the config API (PUT
// /api/config with the hash it was read with, so a concurrent edit is
// refused rather than overwritten).
func (h *Handler) settings(w http.ResponseWriter, r *http.Request, v Viewer) error {
	c := h.src.Config()
	b := settingsBody{Config: c, Lines: strings.Count(c.Text, "\n") + 1}
	return h.render(w, http.StatusOK, "settings", pageData{Title: "Settings", Nav: "settings", Viewer: v, Body: b})
}
