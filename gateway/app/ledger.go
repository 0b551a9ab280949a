package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/urfave/cli/v2"
)

// ledgerFile is the ledger database's name in the state directory.
const ledgerFile = "aperture.db"

// databaseEnv is the environment variable --database reads. The service
// reads it from the state directory's environment file too, which keeps
// a URL's password out of the unit file and the process's arguments.
const databaseEnv = "APERTURE_DATABASE"

// databaseFlag is --database: where the ledger lives.
func databaseFlag() cli.Flag {
	return &cli.StringFlag{Name: "database", EnvVars: []string{databaseEnv},
		Usage: "the ledger's database (requests, captures, quota balances, config history): a postgres://USER@HOST/DB `URL` that several replicas share, or a SQLite file (default: <state-dir>/" + ledgerFile + "). Give a URL holding a password in $" + databaseEnv + ", not on the command line, where other local users can read it"}
}

// databaseTarget is where the ledger is: --database, else $APERTURE_DATABASE
// as the state directory's environment file set it (read after the
// flags), else the SQLite file in the state directory.
func databaseTarget(flag, stateDir string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(databaseEnv); env != "" {
		return env
	}
	return filepath.Join(stateDir, ledgerFile)
}

// metering is the ledger and the quota manager, which keeps its balances
// in the ledger's database.
type metering struct {
	ledger *ledger.Ledger
	quotas *quotas.Manager
	stop   context.CancelFunc
	done   chan struct{}
}

// openMetering opens the ledger (databaseTarget: PostgreSQL or a SQLite
// file) and loads quota balances; replica names this gateway among those
// sharing a PostgreSQL database. A URL is logged with its password
// redacted.
func openMetering(stateDir, database, replica string, cfg *config.Config, logf func(string, ...any)) (*metering, error) {
	target := databaseTarget(database, stateDir)
	l, err := ledger.OpenURL(target, ledger.Options{Retention: &cfg.Database.Retention, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("opening the ledger %s: %w", ledger.Redact(target), err)
	}
	logf("ledger: %s database %s", l.Backend(), ledger.Redact(target))
	// On SQLite the balances live in memory and are saved every few
	// seconds; on PostgreSQL the database is the only source of truth for
	// money (holds taken in a transaction on the bucket rows), so that a
	// limit holds across every replica sharing it.
	var q *quotas.Manager
	if l.Backend() == ledger.BackendPostgres {
		q, err = quotas.NewShared(l.DB(), replica, nil, quotas.SharedOptions{})
	} else {
		q, err = quotas.New(balanceStore{l}, nil)
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("loading quota balances: %w", err)
	}
	q.Configure(cfg.Quotas)
	ctx, cancel := context.WithCancel(context.Background())
	m := &metering{ledger: l, quotas: q, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		if err := q.Run(ctx); err != nil {
			logf("saving quota balances: %v", err)
		}
	}()
	return m, nil
}

// Close saves the balances and closes the ledger after flushing its queue.
func (m *metering) Close() {
	m.stop()
	<-m.done
	m.ledger.Close()
}

// balanceStore adapts the ledger's balance table to the quota manager.
type balanceStore struct{ l *ledger.Ledger }

func (b balanceStore) LoadBalances() (map[string]quotas.Balance, error) {
	in, err := b.l.LoadBalances()
	if err != nil {
		return nil, err
	}
	out := make(map[string]quotas.Balance, len(in))
	for k, v := range in {
		out[k] = quotas.Balance(v)
	}
	return out, nil
}

// SaveBalances replaces the stored set: the manager passes every bucket,
// and one it left out belonged to a deleted quota definition, whose
// balance must not come back if the name is defined again.
func (b balanceStore) SaveBalances(m map[string]quotas.Balance) error {
	in := make(map[string]ledger.Balance, len(m))
	for k, v := range m {
		in[k] = ledger.Balance(v)
	}
	if err := b.l.SaveBalances(in); err != nil {
		return err
	}
	stored, err := b.l.LoadBalances()
	if err != nil {
		return err
	}
	var gone []string
	for k := range stored {
		if _, ok := m[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return b.l.DeleteBalances(gone...)
}
