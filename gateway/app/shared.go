package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tsplug/ts-plug/gateway"
	"github.com/tsplug/ts-plug/gateway/configsync"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/replicas"
)

// replicaIDFile keeps this replica's ID in the state directory.
const replicaIDFile = "replica-id"

// replicaID names this replica among those sharing a database: its
// hostname and a random suffix made once and kept in the state directory,
// so that two replicas started with the same --hostname (one config,
// several machines) stay distinct, and a restarted one keeps its name.
func replicaID(stateDir, hostname string) (string, error) {
	path := filepath.Join(stateDir, replicaIDFile)
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" && len(id) <= 128 {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading the replica ID: %w", err)
	}
	var r [4]byte
	rand.Read(r[:])
	id := hostname + "-" + hex.EncodeToString(r[:])
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("saving the replica ID: %w", err)
	}
	return id, nil
}

// sharing is what replicas on one PostgreSQL database share besides the
// ledger and the spending limits: the config (configsync) and the list of
// replicas with their heartbeats. Both are nil on SQLite.
type sharing struct {
	syncer   *configsync.Syncer
	registry *replicas.Registry
}

// openSharing prepares config sharing and the replica registry when the
// ledger is on PostgreSQL (dsn its URL); on SQLite it returns an empty
// sharing.
func openSharing(l *ledger.Ledger, dsn, id, version string, logf func(string, ...any)) (*sharing, error) {
	if l.Backend() != ledger.BackendPostgres {
		return &sharing{}, nil
	}
	syncer, err := configsync.New(configsync.Options{DSN: dsn, DB: l.DB(), Origin: id, Logf: logf})
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	reg, err := replicas.New(l.DB(), replicas.Options{ID: id, Hostname: host, Version: version, Config: syncer.Status, Logf: logf})
	if err != nil {
		syncer.Close()
		return nil, err
	}
	return &sharing{syncer: syncer, registry: reg}, nil
}

// options sets the gateway options that expose the sharing (left nil on
// SQLite: a nil *Syncer in an interface would not be nil).
func (sh *sharing) options(o *gateway.Options) {
	if sh.syncer != nil {
		o.ConfigSync, o.Replicas = sh.syncer, sh.registry
	}
}

// start takes the database's config (or seeds it with local, the config
// file's text) before anything is served, then keeps both up to date
// until ctx ends.
func (sh *sharing) start(ctx context.Context, local []byte, gw *gateway.Server, logf func(string, ...any)) error {
	if sh.syncer == nil {
		return nil
	}
	v, err := sh.syncer.Start(ctx, local, gw.ApplySharedConfig)
	if err != nil {
		return fmt.Errorf("not started: this replica cannot run the shared config in the database: %w", err)
	}
	logf("config: running shared version %d (hash %.12s)", v.Seq, v.Hash)
	if err := sh.registry.Start(ctx); err != nil {
		return fmt.Errorf("registering this replica: %w", err)
	}
	go sh.syncer.Run(ctx)
	go sh.registry.Run(ctx)
	return nil
}

// Close releases what New opened.
func (sh *sharing) Close() {
	if sh.syncer != nil {
		sh.syncer.Close()
	}
}
