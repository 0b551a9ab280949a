package quotas

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/internal/pgtest"
)

// The shared mode's tests run against a real PostgreSQL (internal/pgtest):
// they skip without one, and fail under CI=true.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// sharedModeTest is the test under which newManager returns shared
// Managers.
const sharedModeTest = "TestSharedMode"

// TestSharedMode runs the in-memory Manager's behaviour tests, unchanged,
// against a shared Manager on a database of its own (newManager).
// Left out, because the shared mode means otherwise: a deleted
// definition's rows are kept, and come back with their balance when it is
// defined again (TestConfigureDeletesBuckets, TestSettleAfterBucketDeleted;
// dropping rows while replicas may disagree on the config could hand a
// new definition's buckets back full); tests of the BalanceStore, which
// the shared mode does not use; TestReserveRangeIsABound, 800 contended
// transactions that take half a minute here, whose property
// TestSharedConservation checks across two replicas.
func TestSharedMode(t *testing.T) {
	tests := []struct {
		name string
		run  func(*testing.T)
	}{
		{"ReserveAllOrNothing", TestReserveAllOrNothing},
		{"ReserveWithoutBuckets", TestReserveWithoutBuckets},
		{"ReserveFailsClosed", TestReserveFailsClosed},
		{"RetryAfter", TestRetryAfter},
		{"ExceededReportsLongestWait", TestExceededReportsLongestWait},
		{"Settle", TestSettle},
		{"ConcurrentReservations", TestConcurrentReservations},
		{"ReserveRange", TestReserveRange},
		{"Extend", TestExtend},
		{"NewBucketsStartFull", TestNewBucketsStartFull},
		{"ConfigureRecapsEditedDefinition", TestConfigureRecapsEditedDefinition},
		{"ConfigureRefillsAtOldRateUntilEdit", TestConfigureRefillsAtOldRateUntilEdit},
		{"ConfigureInvalidDefinitionKeepsBalance", TestConfigureInvalidDefinitionKeepsBalance},
		{"BucketMovesToNewDefinition", TestBucketMovesToNewDefinition},
		{"CalendarBudgetResetsOnTheFirst", TestCalendarBudgetResetsOnTheFirst},
		{"CalendarBudgetHoldAcrossReset", TestCalendarBudgetHoldAcrossReset},
		{"ChangeEffects", TestChangeEffects},
		{"Balances", TestBalances},
		{"Lookup", TestLookup},
		{"LookupHeldAndFull", TestLookupHeldAndFull},
		{"UntilFull", TestUntilFull},
		{"Refill", TestRefill},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// newSharedManagers returns n replicas on clock c sharing one fresh
// database, each with a pool of its own, configured with qs.
func newSharedManagers(t testing.TB, c *fakeClock, n int, qs ...*config.Quota) []*Manager {
	t.Helper()
	return newSharedManagersWith(t, c, n, SharedOptions{}, qs...)
}

func newSharedManagersWith(t testing.TB, c *fakeClock, n int, opts SharedOptions, qs ...*config.Quota) []*Manager {
	t.Helper()
	return replicasOn(t, freshSchema(t), c, n, opts, qs...)
}

// replicasOn returns n replicas on the database at dsn.
func replicasOn(t testing.TB, dsn string, c *fakeClock, n int, opts SharedOptions, qs ...*config.Quota) []*Manager {
	t.Helper()
	out := make([]*Manager, n)
	for i := range n {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		m, err := NewShared(db, fmt.Sprintf("replica-%d", i), c.Now, opts)
		if err != nil {
			t.Fatal(err)
		}
		m.Configure(defs(qs...))
		out[i] = m
	}
	return out
}

// testDB is one database for the tests that need no server-wide state
// (the sweeper's advisory lock is per database): each gets a schema of
// its own, much cheaper than a database.
var testDB struct {
	sync.Mutex
	dsn     string
	schemas int
}

// freshSchema returns the DSN of an empty schema of its own.
func freshSchema(t testing.TB) string {
	t.Helper()
	testDB.Lock()
	defer testDB.Unlock()
	if testDB.dsn == "" {
		testDB.dsn = pgtest.Database(t)
	}
	testDB.schemas++
	name := fmt.Sprintf("s%d", testDB.schemas)
	db, err := sql.Open("pgx", testDB.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + name); err != nil {
		t.Fatal(err)
	}
	return testDB.dsn + "&search_path=" + name
}

// row reads a bucket's stored balance and reserved amount.
func row(t testing.TB, m *Manager, name string) (nanos, reserved int64) {
	t.Helper()
	err := m.shared.db.QueryRow(`SELECT nanos, reserved FROM quota_buckets WHERE name = $1`, name).Scan(&nanos, &reserved)
	if err != nil {
		t.Fatalf("reading bucket %s: %v", name, err)
	}
	return nanos, reserved
}

// openHolds is what quota_holds has: how many, and their sum.
func openHolds(t testing.TB, m *Manager) (n, sum int64) {
	t.Helper()
	if err := m.shared.db.QueryRow(`SELECT count(*), coalesce(sum(amount), 0) FROM quota_holds`).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	return n, sum
}

// Replicas that start at once create the tables once, without error.
func TestSharedSchemaConcurrentStart(t *testing.T) {
	dsn := pgtest.Database(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			_, err = NewShared(db, fmt.Sprintf("r%d", i), nil, SharedOptions{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM information_schema.tables
		WHERE table_name IN ('quota_buckets', 'quota_holds', 'quota_hold_releases')`).Scan(&n); err != nil || n != 3 {
		t.Errorf("tables: %d, %v", n, err)
	}
}

// A host whose clock is far from the database's is refused: refill runs
// on each replica's clock, and one running an hour ahead would refill an
// hour of every bucket it touches at once. A clock within the bound passes.
func TestSharedRefusesASkewedClock(t *testing.T) {
	db, err := sql.Open("pgx", pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		skew time.Duration
		ok   bool
	}{{0, true}, {2 * time.Second, true}, {time.Hour, false}, {-time.Hour, false}} {
		err := checkClockSkew(t.Context(), db, func() time.Time { return time.Now().Add(tc.skew) })
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), "NTP")) {
			t.Errorf("skew %v: %v, want ok=%v", tc.skew, err, tc.ok)
		}
	}
}
