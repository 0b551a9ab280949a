package gateway

import (
	"bytes"
	"context"
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
		src, err := os.ReadFile(path)
		if err != nil {
			s.opts.Logf("config reload: %v (keeping the running config)", err)
			continue
		}
		_, cur := s.Config()
		if !forced && bytes.Equal(src, cur) {
			continue
		}
		s.ReloadFrom(path, src)
	}
}

// ReloadFrom parses src (the text of the file at path) and, if it loads,
// makes it the running config. It reports whether it did.
func (s *Server) ReloadFrom(path string, src []byte) (ok bool) {
	defer func() { s.metrics.configReload("file", ok) }()
	cfg, diags, err := config.ParseFile(path, src)
	for _, d := range diags {
		s.opts.Logf("config %s:%s", path, d)
	}
	if err != nil {
		s.opts.Logf("config reload: %s does not load, keeping the running config: %v", path, err)
		return false
	}
	if err := s.SetConfig(cfg, src); err != nil {
		s.opts.Logf("config reload: %v (keeping the running config)", err)
		return false
	}
	// The file is the host admin's: the secret references it names may be
	// kept by later saves through the config API. (A save writes the file
	// too, but only with references already allowed.)
	s.refs.approveText(src)
	s.opts.Logf("config reloaded from %s (%d providers, hash %.12s)", path, len(cfg.Providers), cfg.Hash)
	return true
}
