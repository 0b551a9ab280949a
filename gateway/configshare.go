package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/configsync"
	"github.com/tsplug/ts-plug/gateway/replicas"
	"github.com/tsplug/ts-plug/gateway/ui"
)

// Replicas sharing one database. With Options.ConfigSync set, a config
// saved through the API is stored as the next shared version (and
// applied here); the other replicas apply it through ApplySharedConfig,
// as a file reload. Without it (SQLite, one gateway) nothing changes.

// ConfigSync shares the config with the other replicas through the
// database; *configsync.Syncer implements it.
type ConfigSync interface {
	// Save stores text as the next version, if this replica runs the
	// latest (configsync.ErrConflict) and it holds no literal secret
	// (configsync.ErrLiteralSecrets).
	Save(ctx context.Context, text []byte, author string) (configsync.Version, error)
	// Running is the shared version this replica runs.
	Running() configsync.Version
	// LastError is a newer version this replica could not apply, and why.
	LastError() (int64, error)
	// Backend names the database; Ping says whether it answers.
	Backend() string
	Ping(ctx context.Context) error
}

// Replicas lists the replicas sharing the database, with their last
// heartbeat; *replicas.Registry implements it.
type Replicas interface {
	Self() string
	List(ctx context.Context) ([]replicas.Replica, error)
}

var (
	_ ConfigSync = (*configsync.Syncer)(nil)
	_ Replicas   = (*replicas.Registry)(nil)
)

// ApplySharedConfig makes v, a version another replica saved (or the
// database's at start-up), the running config, as a reload of the config
// file would, and then writes it to the config file, so that a restart
// without the database starts from it. Nothing is recorded in the
// config history: the replica that saved it did. A version that does not
// load here (a key reference this host lacks), or names an env:/file:
// reference this host's --allow-secret-ref does not allow, leaves the
// running config.
func (s *Server) ApplySharedConfig(v configsync.Version) (err error) {
	defer func() { s.metrics.configReload("shared", err == nil) }()
	// Under saveMu, so the file watcher never sees the new config with
	// the old file (and reloads the old one), nor a save interleaves.
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	where := fmt.Sprintf("shared version %d", v.Seq)
	// Whoever saved it, on whichever replica (or whoever can write the
	// database), may not make this host read a variable or file its own
	// admin did not allow, and send it somewhere.
	if refused := s.checkSecretRefs(v.Text); len(refused) > 0 {
		msgs := make([]string, len(refused))
		for i, d := range refused {
			msgs[i] = d.Message
		}
		return fmt.Errorf("%s not applied, keeping the running config: %s", where, strings.Join(msgs, "; "))
	}
	if _, err := s.load(where, s.opts.ConfigPath, v.Text); err != nil {
		return err
	}
	if p := s.opts.ConfigPath; p != "" {
		if disk, err := os.ReadFile(p); err != nil || !bytes.Equal(disk, v.Text) {
			s.keepLocalFile(p, disk)
			s.writeSharedFile(v.Seq, v.Text)
		}
	}
	return nil
}

// writeSharedFile writes a shared version's text to the config file, the
// copy a restart without the database starts from. When it cannot (a
// read-only mount), the file's text is remembered so that the watcher
// does not reload it over the shared version a second later. Call with
// saveMu held.
func (s *Server) writeSharedFile(seq int64, text []byte) {
	p := s.opts.ConfigPath
	if err := s.writeFile(p, text); err != nil {
		s.unwrittenFile = ""
		if disk, rerr := os.ReadFile(p); rerr == nil {
			s.unwrittenFile = config.Hash(disk)
		}
		s.opts.Logf("shared config: version %d applied, but not written to %s (it keeps running; a restart without the database would start from the file as it is): %v", seq, p, err)
		return
	}
	s.unwrittenFile = ""
}

// localSuffix names the copy of a config file the shared config replaced
// before it had been shared.
const localSuffix = ".local"

// keepLocalFile copies disk, the config file about to be replaced by a
// shared version, to path+localSuffix when it is not a shared version
// itself: the host admin's own file at the first start on the shared
// database (it may hold literal keys, which were never shared), or an
// edit made on this host since. Otherwise it would be lost.
func (s *Server) keepLocalFile(path string, disk []byte) {
	if len(disk) == 0 || s.opts.ConfigSync == nil || config.Hash(disk) == s.opts.ConfigSync.Running().Hash {
		return
	}
	// Never over an earlier copy: that one may be the host admin's
	// original (with its literal keys), and this one an older shared
	// version that a restart found behind the database.
	keep := path + localSuffix
	for n := 2; ; n++ {
		if _, err := os.Lstat(keep); errors.Is(err, os.ErrNotExist) {
			break
		}
		if n > 100 {
			s.opts.Logf("shared config: not keeping %s: %s through %s.100 exist", path, path+localSuffix, path+localSuffix)
			return
		}
		keep = fmt.Sprintf("%s%s.%d", path, localSuffix, n)
	}
	if err := s.writeFile(keep, disk); err != nil {
		s.opts.Logf("shared config: keeping this host's own config file as %s: %v", keep, err)
		return
	}
	s.opts.Logf("shared config: this host's own config file, replaced by the shared one, is kept as %s", keep)
}

// saveShared stores src as the next shared version when replicas share
// the config (the zero Version when they do not). Nothing is applied or
// written before it succeeds, so a refused save changes nothing anywhere.
func (s *Server) saveShared(ctx context.Context, src []byte, author string) (configsync.Version, error) {
	if s.opts.ConfigSync == nil {
		return configsync.Version{}, nil
	}
	v, err := s.opts.ConfigSync.Save(ctx, src, author)
	var conflict *configsync.ConflictError
	var literal *configsync.LiteralSecretsError
	switch {
	case err == nil:
		return v, nil
	case errors.As(err, &conflict):
		msg := fmt.Sprintf("not saved: version %d (by %s) was saved on another replica after the config you edited; "+
			"reload the config, reapply your edits and save again", conflict.Latest.Seq, conflict.Latest.Author)
		if seq, aerr := s.opts.ConfigSync.LastError(); aerr != nil && seq >= conflict.Latest.Seq {
			msg = fmt.Sprintf("not saved: this replica could not apply the latest version %d (%v); save on a replica that runs it, or fix this replica", seq, aerr)
		}
		return v, clientErr(http.StatusConflict, apis.KindInvalidRequest, msg)
	case errors.As(err, &literal):
		return v, clientErr(http.StatusUnprocessableEntity, apis.KindInvalidRequest, "not saved: "+literal.Error())
	}
	s.opts.Logf("ERROR config save by %s: the shared config database: %v", author, err)
	return v, clientErr(http.StatusServiceUnavailable, apis.KindUnavailable,
		"not saved: the shared config database cannot be reached; nothing was changed (the gateway's log says why)")
}

// sharedDiagnostics are the errors that stop a save only because the
// config is shared: secrets written literally would go to the database.
func (s *Server) sharedDiagnostics(src []byte) []config.Diagnostic {
	if s.opts.ConfigSync == nil {
		return nil
	}
	return configsync.LiteralSecrets(src)
}

// versionJSON is the shared config version a replica runs, in
// /api/config and the answer to a save.
type versionJSON struct {
	Seq     int64     `json:"seq"`
	Hash    string    `json:"hash"`
	Author  string    `json:"author"`
	SavedAt time.Time `json:"saved_at"`
	// Modified is set when the running text is not this version's: the
	// config file was edited on this host since (it applies here only).
	Modified bool `json:"modified,omitempty"`
	// Pending is a newer version this replica failed to apply, and why.
	Pending      int64  `json:"pending,omitempty"`
	PendingError string `json:"pending_error,omitempty"`
}

// replicaJSON is one replica in /api/config.
type replicaJSON struct {
	ID            string    `json:"id"`
	Hostname      string    `json:"hostname"`
	Version       string    `json:"aperture_version"`
	ConfigVersion int64     `json:"config_version"`
	ConfigError   string    `json:"config_error,omitempty"`
	Started       time.Time `json:"started"`
	Heartbeat     time.Time `json:"heartbeat"`
	AgeSeconds    float64   `json:"heartbeat_age_seconds"`
	Stale         bool      `json:"stale"`
}

// sharedVersion describes the shared version this replica runs; ok is
// false on a single gateway.
func (s *Server) sharedVersion(src []byte) (v versionJSON, ok bool) {
	if s.opts.ConfigSync == nil {
		return v, false
	}
	run := s.opts.ConfigSync.Running()
	v = versionJSON{Seq: run.Seq, Hash: run.Hash, Author: run.Author, SavedAt: run.SavedAt, Modified: run.Hash != config.Hash(src)}
	if seq, err := s.opts.ConfigSync.LastError(); err != nil {
		v.Pending, v.PendingError = seq, err.Error()
	}
	return v, true
}

// replicaList lists the replicas for /api/config, or says why it cannot.
func (s *Server) replicaList(ctx context.Context) ([]replicaJSON, error) {
	list, err := s.opts.Replicas.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]replicaJSON, 0, len(list))
	for _, p := range list {
		out = append(out, replicaJSON{ID: p.ID, Hostname: p.Hostname, Version: p.Version, ConfigVersion: p.ConfigSeq,
			ConfigError: p.ConfigError, Started: p.Started, Heartbeat: p.Heartbeat, AgeSeconds: p.Age.Seconds(), Stale: p.Stale})
	}
	return out, nil
}

// addShared adds, on a replica, the version it runs, its id and the
// replicas to a GET /api/config answer.
func (s *Server) addShared(ctx context.Context, out map[string]any, src []byte) {
	if v, ok := s.sharedVersion(src); ok {
		out["version"] = v
	}
	if s.opts.Replicas == nil {
		return
	}
	out["replica"] = s.opts.Replicas.Self()
	list, err := s.replicaList(ctx)
	if err != nil {
		s.opts.Logf("config API: listing replicas: %v", err)
		out["replicas_error"] = "the replica list cannot be read; the gateway's log says why"
		return
	}
	out["replicas"] = list
}

// databaseHealth is the shared database's part of /healthz.
type databaseHealth struct {
	Backend   string `json:"backend"`
	Reachable bool   `json:"reachable"`
}

// checkDatabase pings the shared database for /healthz; nil on a single
// gateway. Why it failed goes to the log only: anyone may ask /healthz.
func (s *Server) checkDatabase(ctx context.Context) *databaseHealth {
	if s.opts.ConfigSync == nil {
		return nil
	}
	// Anyone may ask /healthz, as often as they like: the database is
	// pinged at most once per healthCacheFor, one ping at a time, so
	// that health checks cannot take connections from requests (nor
	// flood the log while it is down).
	c := &s.dbHealth
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); !c.at.IsZero() && now.Sub(c.at) < healthCacheFor {
		h := c.last
		return &h
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	h := databaseHealth{Backend: s.opts.ConfigSync.Backend(), Reachable: true}
	if err := s.opts.ConfigSync.Ping(ctx); err != nil {
		s.opts.Logf("healthz: database: %v", err)
		h.Reachable = false
	}
	c.last, c.at = h, time.Now()
	return &h
}

// healthCacheFor is how long /healthz reuses a database ping's answer.
const healthCacheFor = time.Second

// healthCache is the last database ping /healthz made.
type healthCache struct {
	mu   sync.Mutex
	at   time.Time
	last databaseHealth
}

// writeDatabaseDown answers /healthz on a replica that cannot reach its
// database: it can neither meter nor limit requests, nor follow the
// shared config, so it asks to be taken out of service.
func writeDatabaseDown(w http.ResponseWriter, h *databaseHealth) {
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{
		"status":   "unavailable",
		"reason":   "the shared " + h.Backend + " database cannot be reached: this replica cannot meter or limit requests nor follow the shared config; the gateway's log says why",
		"database": h,
	})
}

// shared is the Settings page's view of the shared config and the
// replicas; nil on a single gateway.
func (u uiSource) shared(src []byte) *ui.SharedConfig {
	v, ok := u.s.sharedVersion(src)
	if !ok {
		return nil
	}
	out := &ui.SharedConfig{Seq: v.Seq, Author: v.Author, SavedAt: v.SavedAt, Modified: v.Modified,
		Pending: v.Pending, PendingError: v.PendingError}
	if u.s.opts.Replicas == nil {
		return out
	}
	out.Replica = u.s.opts.Replicas.Self()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := u.s.opts.Replicas.List(ctx)
	if err != nil {
		u.s.opts.Logf("settings page: listing replicas: %v", err)
		out.ReplicasError = "The replica list cannot be read; the gateway's log says why."
		return out
	}
	for _, p := range list {
		out.Replicas = append(out.Replicas, ui.ReplicaView{ID: p.ID, Hostname: p.Hostname, Version: p.Version,
			ConfigSeq: p.ConfigSeq, ConfigError: p.ConfigError, Started: p.Started, Heartbeat: p.Heartbeat,
			Age: p.Age, Stale: p.Stale, Self: p.Self})
	}
	return out
}
