package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/tsplug/ts-plug/internal/pgtest"
)

// The setups the PostgreSQL section compares, in the order measured.
const (
	setupSQLite = "SQLite"
	setupPG1    = "PostgreSQL ×1"
	setupPG2    = "PostgreSQL ×2, round-robin"
)

// pgSetups are the PostgreSQL section's setups, in order.
var pgSetups = []string{setupSQLite, setupPG1, setupPG2}

// pgAPIs are the APIs the PostgreSQL section measures.
var pgAPIs = []apiCase{{"chat", chatSpec}, {"messages", messagesSpec}}

// pgLabel is the row label of api on setup.
func pgLabel(api, setup string) string { return api + " on " + setup }

// PostgresRun is what the PostgreSQL section measured.
type PostgresRun struct {
	Rows []Row
	// Server is the PostgreSQL version and its durability settings.
	Server string
	// Placement says which CPUs each process ran on; Pinned, that they
	// were pinned at all.
	Placement string
	Pinned    bool
	// Setups say, per setup, how many requests went through the
	// gateway(s) and how many quota charges the database holds for them.
	Setups []PostgresSetup
}

// PostgresSetup is one setup's request and database counts.
type PostgresSetup struct {
	Name string
	// Sent are the requests the load generator sent through the
	// gateway(s), warm-up included; per replica in the order started.
	Sent []int64
	// Charges are the rows of quota_charges (one per settled quota hold)
	// per replica, in the same order; nil on SQLite.
	Charges []int64
	// LedgerRows are the rows of the requests table and Commits the
	// transactions committed in the setup's database, start-up included
	// (PostgreSQL only).
	LedgerRows, Commits int64
}

// CommitsPerRequest is Commits over the requests sent (0 without either).
func (s PostgresSetup) CommitsPerRequest() float64 {
	var sent int64
	for _, n := range s.Sent {
		sent += n
	}
	if sent == 0 || s.Commits == 0 {
		return 0
	}
	return float64(s.Commits) / float64(sent)
}

// pgSummaryRow is one setup's headline figures for one API: req/s at
// c=50 and the overhead over direct calls at c=10.
type pgSummaryRow struct {
	Setup          string
	RPS50          float64
	P50c10, P99c10 time.Duration
	Has50, Has10   bool
}

// pgSummary picks the headline figures of api out of rows, one per
// setup in setups order; a setup with neither row is left out.
func pgSummary(rows []Row, api string, setups []string) []pgSummaryRow {
	var out []pgSummaryRow
	for _, s := range setups {
		r := pgSummaryRow{Setup: s}
		if row, ok := find(rows, pgLabel(api, s), 50); ok {
			r.RPS50, r.Has50 = row.Result.Total.ViaRPS, true
		}
		if row, ok := find(rows, pgLabel(api, s), 10); ok {
			r.P50c10, r.P99c10, r.Has10 = row.Result.Total.OverheadP50(), row.Result.Total.OverheadP99(), true
		}
		if r.Has50 || r.Has10 {
			out = append(out, r)
		}
	}
	return out
}

// measurePostgres compares, with the same loads, aperture on SQLite,
// one aperture on PostgreSQL and two on the same PostgreSQL database with
// the load split between them request by request. Each setup runs alone
// on the server's CPUs (the two replicas share them); PostgreSQL runs
// with the load generator and the fake, durable (fsync on). All three
// use the same config, its keys given as env: references (a shared
// config may not hold them literally), and its quota bucket on every
// request: on PostgreSQL each hold and its settlement is a transaction.
func measurePostgres(ctx context.Context, rep *Report, sz sizes, apBin, dir, fakeURL, bigURL string) error {
	say("starting PostgreSQL (durable: fsync on)")
	srv, err := pgtest.StartServer(pgtest.Options{Durable: true})
	if err != nil {
		if pgtest.IsMissing(err) {
			return fmt.Errorf("PostgreSQL is not installed here (apt-get install postgresql): %w", err)
		}
		return fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer srv.Stop()
	run := &PostgresRun{Server: describePostgres(ctx, srv.DSN)}
	run.Placement, run.Pinned = pgPlacement(rep.Pinning, srv.Pid()), rep.Pinning.Pinned()
	say("postgres: %s; %s", run.Server, run.Placement)
	defer func() { rep.Postgres = run }()

	direct := NewTarget("direct", fakeURL)
	defer direct.Close()
	env := append(os.Environ(), keyEnv()...)
	for _, setup := range pgSetups {
		replicas, dsn := 1, ""
		if setup != setupSQLite {
			if dsn, err = srv.CreateDatabase(); err != nil {
				return err
			}
		}
		if setup == setupPG2 {
			replicas = 2
		}
		var aps []*Aperture
		stop := func() {
			for _, ap := range aps {
				ap.Stop()
			}
		}
		var urls []string
		for i := range replicas {
			name := fmt.Sprintf("pg-%d-%d", len(run.Setups), i)
			stateDir, cfgPath, err := writeConfigKeys(dir, name, fakeURL, bigURL, sharedKeys)
			if err != nil {
				stop()
				return err
			}
			extra := []string{"--no-tailnet"}
			if dsn != "" {
				// As the README starts replicas: each host allows the
				// references the shared config names.
				extra = append(extra, "--database", dsn, "--allow-secret-ref", sharedKeyPattern)
			}
			ap, _, err := startApertureIn(ctx, rep.Pinning.Server, apBin, name, stateDir, cfgPath, env, extra)
			if err != nil {
				stop()
				return fmt.Errorf("%s: %w", setup, err)
			}
			aps = append(aps, ap)
			urls = append(urls, ap.URL)
		}
		say("%s: %d aperture process(es) at %s", setup, len(aps), strings.Join(urls, ", "))
		var meter *Meter
		if len(aps) == 1 { // one process's counters; two would need both
			if meter, err = NewMeter(ctx, aps[0].Pid(), aps[0].MetricsURL()); err != nil {
				say("%s: no counters: %v", setup, err)
				meter = nil
			}
		}
		via := NewSplitTarget(setup, urls...)
		err := measureSetup(ctx, run, sz, setup, direct, via, meter)
		via.Close()
		stop()
		if err != nil {
			return err
		}
		st := PostgresSetup{Name: setup, Sent: via.split.counts()}
		if dsn != "" {
			if st.Charges, st.LedgerRows, st.Commits, err = pgCounts(ctx, dsn, aps); err != nil {
				return fmt.Errorf("%s: counting the database's rows: %w", setup, err)
			}
		}
		run.Setups = append(run.Setups, st)
		say("%s: sent %v, quota charges in the database %v, ledger rows %d, commits %d (%.1f per request)",
			setup, st.Sent, st.Charges, st.LedgerRows, st.Commits, st.CommitsPerRequest())
	}
	return nil
}

// measureSetup runs the section's loads against via, interleaved with
// direct calls to the fake.
func measureSetup(ctx context.Context, run *PostgresRun, sz sizes, setup string, direct, via Target, meter *Meter) error {
	for _, api := range pgAPIs {
		for _, c := range []int{10, 50} {
			l := Load{Spec: api.Spec(false, 0), Concurrency: c, PerBlock: sz.perBlock[c], Rounds: sz.rounds, Warmup: sz.warmup, Meter: meter}
			res, err := Compare(ctx, direct, via, l)
			if err != nil {
				return fmt.Errorf("%s: %s c=%d: %w", setup, api.Name, c, err)
			}
			label := pgLabel(api.Name, setup)
			run.Rows = append(run.Rows, Row{Label: label, Concurrency: c, Result: res})
			logRow("postgres", label, c, res)
		}
	}
	return nil
}

// describePostgres is the server's version and durability settings, as
// it reports them.
func describePostgres(ctx context.Context, dsn string) string {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "PostgreSQL (version unknown: " + err.Error() + ")"
	}
	defer db.Close()
	var parts []string
	for _, name := range []string{"server_version", "fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := db.QueryRowContext(ctx, "SHOW "+name).Scan(&v); err != nil {
			v = "?"
		}
		if name == "server_version" {
			parts = append(parts, "PostgreSQL "+v)
		} else {
			parts = append(parts, name+"="+v)
		}
	}
	return strings.Join(parts, ", ")
}

// pgPlacement says where the gateways and PostgreSQL ran. PostgreSQL is
// started from the harness, so it and the backends it forks inherit the
// load generator's CPUs; the postmaster's mask is read back to say so.
func pgPlacement(p Pinning, pid int) string {
	pg := "PostgreSQL's CPUs unknown"
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		if cpus, err := cpusAllowedIn(string(b)); err == nil {
			pg = "PostgreSQL (server and backends) on " + cpuNoun(cpus)
		}
	}
	if !p.Pinned() {
		return "not pinned: the gateways, PostgreSQL, the load generator and the fake share the CPUs (" + p.Why + "); " + pg
	}
	return fmt.Sprintf("each setup's aperture process(es) on %s, the two replicas sharing it; "+
		"the load generator and the fake provider on %s; %s", cpuNoun(p.Server), cpuNoun(p.Load), pg)
}

// pgCounts are the quota charges per replica (aps in order, matched by
// the replica ID each keeps in its state directory), the ledger rows and
// the transactions committed in the database at dsn. The replicas have
// stopped: their backends report their counts as they exit, which the
// short wait lets them finish.
func pgCounts(ctx context.Context, dsn string, aps []*Aperture) (charges []int64, ledgerRows, commits int64, err error) {
	time.Sleep(500 * time.Millisecond)
	charges, ledgerRows, err = pgRows(ctx, dsn, aps)
	if err != nil {
		return nil, 0, 0, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, 0, 0, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&commits); err != nil {
		return nil, 0, 0, fmt.Errorf("reading the commit count: %w", err)
	}
	return charges, ledgerRows, commits, nil
}

// pgRows are pgCounts's quota charges per replica and ledger rows.
func pgRows(ctx context.Context, dsn string, aps []*Aperture) ([]int64, int64, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT replica, count(*) FROM quota_charges GROUP BY replica`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	byReplica := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, 0, err
		}
		byReplica[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	charges := make([]int64, len(aps))
	for i, ap := range aps {
		id, err := os.ReadFile(ap.StateDir + "/replica-id")
		if err != nil {
			return nil, 0, fmt.Errorf("reading the replica ID: %w", err)
		}
		charges[i] = byReplica[strings.TrimSpace(string(id))]
		delete(byReplica, strings.TrimSpace(string(id)))
	}
	if len(byReplica) > 0 {
		others := make([]string, 0, len(byReplica))
		for id := range byReplica {
			others = append(others, id)
		}
		sort.Strings(others)
		return nil, 0, fmt.Errorf("quota charges by replicas not started here: %v", others)
	}
	var ledgerRows int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM requests`).Scan(&ledgerRows); err != nil {
		return nil, 0, err
	}
	return charges, ledgerRows, nil
}
