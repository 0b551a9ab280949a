package gateway

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// WatchConfig reloads the config file at path when its content changes
// (checked every interval) or when kick receives (SIGHUP). A file that no
// longer loads leaves the running config in place, and says why.
func (s *Server) WatchConfig(ctx context.Context, path string, interval time.Duration, kick <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
			forced = true
		}
		s.reloadIfChanged(path, forced)
	}
}

// reloadIfChanged reloads the file at path if it differs from the running
// config (or forced). It holds saveMu, so a config being saved or applied
// from the shared database is never seen half done (the new config with
// the old file), which would bring the old one back.
func (s *Server) reloadIfChanged(path string, forced bool) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	src, err := os.ReadFile(path)
	if err != nil {
		s.opts.Logf("config reload: %v (keeping the running config)", err)
		return
	}
	_, cur := s.Config()
	if !forced && (bytes.Equal(src, cur) || (s.unwrittenFile != "" && config.Hash(src) == s.unwrittenFile)) {
		return // unchanged, or the old text a shared version could not replace
	}
	if s.ReloadFrom(path, src) && s.opts.ConfigSync != nil {
		s.opts.Logf("config reload: %s was edited on this host: the change applies on this replica only, until the next shared version; "+
			"save it through the config API or the Settings page to share it with every replica", path)
	}
}

// ReloadFrom parses src (the text of the file at path) and, if it loads,
// makes it the running config. It reports whether it did.
func (s *Server) ReloadFrom(path string, src []byte) (ok bool) {
	defer func() { s.metrics.configReload("file", ok) }()
	cfg, err := s.load(path, path, src)
	if err != nil {
		s.opts.Logf("config reload: %v", err)
		return false
	}
	s.opts.Logf("config reloaded from %s (%d providers, hash %.12s)", path, len(cfg.Providers), cfg.Hash)
	return true
}

// load parses src, named where in messages, as the config file at path
// (relative file: references are read from its directory; "" for none)
// and makes it the running config, logging its diagnostics.
func (s *Server) load(where, path string, src []byte) (*config.Config, error) {
	var cfg *config.Config
	var diags []config.Diagnostic
	var err error
	if path != "" {
		cfg, diags, err = config.ParseFile(path, src)
	} else {
		cfg, diags, err = config.Parse(src)
	}
	for _, d := range diags {
		s.opts.Logf("config %s:%s", where, d)
	}
	if err != nil {
		return nil, fmt.Errorf("%s does not load, keeping the running config: %w", where, err)
	}
	if err := s.SetConfig(cfg, src); err != nil {
		return nil, fmt.Errorf("%w (keeping the running config)", err)
	}
	// The file is the host admin's, and a shared version was saved
	// through this check on another replica (or seeded from a host
	// admin's file): the secret references it names may be kept by later
	// saves through the config API. (A save writes the file too, but only
	// with references already allowed.)
	s.refs.approveText(src)
	return cfg, nil
}
