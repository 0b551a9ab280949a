package main

import (
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/configsync"
)

// pgRow is a row of api on setup at c, its overhead p50 p50 (p99 twice
// that) over a 1 ms direct call, at rps via requests per second.
func pgRow(api, setup string, c int, p50 time.Duration, rps float64) Row {
	return Row{Label: pgLabel(api, setup), Concurrency: c, Result: Result{Total: Comparison{
		Direct: Summary{N: 10, P50: time.Millisecond, P99: 2 * time.Millisecond},
		Via:    Summary{N: 10, P50: time.Millisecond + p50, P99: 2*time.Millisecond + 2*p50},
		ViaRPS: rps, DirectRPS: 9000,
	}}}
}

func TestPGSummary(t *testing.T) {
	rows := []Row{
		pgRow("chat", setupSQLite, 10, 200*time.Microsecond, 5000),
		pgRow("chat", setupSQLite, 50, time.Millisecond, 4000),
		pgRow("messages", setupSQLite, 50, time.Millisecond, 3900), // another API: not picked
		pgRow("chat", setupPG1, 50, 9*time.Millisecond, 900),       // c=50 only
		pgRow("chat", setupPG2, 10, 3*time.Millisecond, 700),       // c=10 only
	}
	got := pgSummary(rows, "chat", pgSetups)
	want := []pgSummaryRow{
		{Setup: setupSQLite, RPS50: 4000, P50c10: 200 * time.Microsecond, P99c10: 400 * time.Microsecond, Has50: true, Has10: true},
		{Setup: setupPG1, RPS50: 900, Has50: true},
		{Setup: setupPG2, P50c10: 3 * time.Millisecond, P99c10: 6 * time.Millisecond, Has10: true},
	}
	if len(got) != len(want) {
		t.Fatalf("pgSummary = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := pgSummary(rows, "responses", pgSetups); len(got) != 0 {
		t.Errorf("an API without rows has a summary: %+v", got)
	}
}

func TestJoinCounts(t *testing.T) {
	for _, tc := range []struct {
		in   []int64
		want string
	}{
		{[]int64{640}, "640"},
		{[]int64{320, 321}, "320 + 321 = 641"},
		{[]int64{1, 2, 3}, "1 + 2 + 3 = 6"},
	} {
		if got := joinCounts(tc.in); got != tc.want {
			t.Errorf("joinCounts(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCommitsPerRequest(t *testing.T) {
	for _, tc := range []struct {
		st   PostgresSetup
		want float64
	}{
		{PostgresSetup{Sent: []int64{300, 300}, Commits: 1500}, 2.5},
		{PostgresSetup{Sent: []int64{400}, Commits: 1000}, 2.5},
		{PostgresSetup{Sent: []int64{400}}, 0}, // SQLite: nothing counted
		{PostgresSetup{Commits: 5}, 0},         // nothing sent
	} {
		if got := tc.st.CommitsPerRequest(); got != tc.want {
			t.Errorf("%+v: CommitsPerRequest = %v, want %v", tc.st, got, tc.want)
		}
	}
}

// TestWritePostgres checks the section's rendering: its summary, its
// counts and its placement, and that a section that did not run says so.
func TestWritePostgres(t *testing.T) {
	var none strings.Builder
	writePostgres(&none, nil)
	if !strings.Contains(none.String(), "Not measured") {
		t.Errorf("no run renders %q", none.String())
	}
	run := &PostgresRun{
		Server:    "PostgreSQL 15.18, fsync=on",
		Placement: "aperture on CPU 1; PostgreSQL (server and backends) on CPU 0",
		Pinned:    true,
		Rows: []Row{
			pgRow("chat", setupSQLite, 10, 200*time.Microsecond, 5000),
			pgRow("chat", setupSQLite, 50, time.Millisecond, 4000),
			pgRow("chat", setupPG2, 10, 3*time.Millisecond, 700),
			pgRow("chat", setupPG2, 50, 9*time.Millisecond, 650),
		},
		Setups: []PostgresSetup{
			{Name: setupSQLite, Sent: []int64{640}},
			{Name: setupPG2, Sent: []int64{320, 320}, Charges: []int64{321, 321}, LedgerRows: 642, Commits: 1600},
		},
	}
	var b strings.Builder
	writePostgres(&b, run)
	out := b.String()
	for _, want := range []string{
		"| chat | SQLite | 4000 | 0.200 | 0.400 |",
		"| chat | PostgreSQL ×2, round-robin | 650 | 3.000 | 6.000 |",
		"| SQLite | 640 | (SQLite) | (SQLite) |  |  |",
		"| PostgreSQL ×2, round-robin | 320 + 320 = 640 | 321 + 321 = 642 | 642 | 1600 | 2.5 |",
		"PostgreSQL 15.18, fsync=on",
		"PostgreSQL (server and backends) on CPU 0",
		"not scale-out",
		"| chat on PostgreSQL ×2, round-robin | 50 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| chat | PostgreSQL ×1 |") {
		t.Errorf("a setup without rows has a summary line:\n%s", out)
	}
}

// TestSharedConfigHasNoLiteralKeys checks that the config the PostgreSQL
// section shares through the database passes configsync's check (a
// literal key would be refused at seeding), that keyEnv resolves its
// references to the literal config's keys, and that the literal config
// is the one configsync would refuse (the check can fail).
func TestSharedConfigHasNoLiteralKeys(t *testing.T) {
	shared := configText("http://127.0.0.1:1", "http://127.0.0.1:2", sharedKeys)
	if d := configsync.LiteralSecrets([]byte(shared)); len(d) != 0 {
		t.Errorf("the shared config holds literal secrets: %v", d)
	}
	literal := configText("http://127.0.0.1:1", "http://127.0.0.1:2", literalKeys)
	if d := configsync.LiteralSecrets([]byte(literal)); len(d) != len(literalKeys) {
		t.Errorf("the literal config: %d literal secrets found, want %d: %v", len(d), len(literalKeys), d)
	}
	env := keyEnv()
	for i, ref := range sharedKeys {
		name := strings.TrimPrefix(ref, "env:")
		want := name + "=" + literalKeys[i]
		if env[i] != want {
			t.Errorf("keyEnv()[%d] = %q, want %q", i, env[i], want)
		}
		if ok, _ := path.Match(sharedKeyPattern, ref); !ok {
			t.Errorf("--allow-secret-ref %s does not allow %s", sharedKeyPattern, ref)
		}
		if !strings.Contains(shared, `"apikey": "`+ref+`"`) {
			t.Errorf("the shared config does not use %s", ref)
		}
	}
}

// TestPGPlacementReadsMask checks that the placement names the CPUs the
// process is allowed, read back from the kernel (this process's own).
func TestPGPlacementReadsMask(t *testing.T) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc here")
	}
	cpus, err := cpusAllowedIn(string(b))
	if err != nil {
		t.Fatal(err)
	}
	got := pgPlacement(Pinning{Server: []int{7}, Load: []int{6}}, os.Getpid())
	if !strings.Contains(got, "PostgreSQL (server and backends) on "+cpuNoun(cpus)) || !strings.Contains(got, "on CPU 7, the two replicas sharing it") {
		t.Errorf("pgPlacement = %q (own CPUs %s)", got, cpuList(cpus))
	}
}
