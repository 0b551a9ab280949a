package ui

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// settingsBody is the Settings page (admins): the config in an editor.
type settingsBody struct {
	Config ConfigView
	Lines  int
}

// SharedConfig is what the Settings page says of a config that replicas
// share through a database.
type SharedConfig struct {
	Replica string // this replica's id
	// Seq is the shared version this replica runs, saved by Author at
	// SavedAt. Modified: the running text is not that version's (the
	// config file was edited on this host since).
	Seq      int64
	Author   string
	SavedAt  time.Time
	Modified bool
	// Pending is a newer version this replica could not apply, and why.
	Pending      int64
	PendingError string
	Replicas     []ReplicaView
	// ReplicasError says the list could not be read.
	ReplicasError string
}

// ReplicaView is one replica sharing the database.
type ReplicaView struct {
	ID, Hostname, Version string
	ConfigSeq             int64
	ConfigError           string
	Started, Heartbeat    time.Time
	Age                   time.Duration // of the last heartbeat
	Stale, Self           bool
}

// HeardAgo is how long ago the replica's last heartbeat was, in whole
// seconds below ten minutes ("4 s ago"), then coarser.
func (r ReplicaView) HeardAgo() string {
	switch s := int64(r.Age / time.Second); {
	case s < 600:
		return fmt.Sprintf("%d s ago", s)
	case s < 2*3600:
		return fmt.Sprintf("%d min ago", s/60)
	default:
		return fmt.Sprintf("%d h ago", s/3600)
	}
}

// OnVersion counts the live replicas (not stale) that run version seq.
func (c SharedConfig) OnVersion(seq int64) int {
	n := 0
	for _, r := range c.Replicas {
		if !r.Stale && r.ConfigSeq == seq {
			n++
		}
	}
	return n
}

// Live counts the replicas that are not stale.
func (c SharedConfig) Live() int {
	n := 0
	for _, r := range c.Replicas {
		if !r.Stale {
			n++
		}
	}
	return n
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
