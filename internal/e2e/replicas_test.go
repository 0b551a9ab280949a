package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/pgtest"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// replicaConfig is the config both replicas start with: one monthly
// budget of capacity for the loopback caller (no refill while the test
// runs), the provider key a reference (a shared database never holds a
// literal key).
func replicaConfig(fakeURL, capacity string) string {
	return fmt.Sprintf(`{
  "providers": {"anthropic": {"baseurl": %q, "apikey": "env:E2E_PROVIDER_KEY", "models": ["claude-sonnet-4-5"],
    "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}, "cost_basis": "anthropic"}},
  "quotas": {"team": {"capacity": %q, "reset": "month", "on_exceed": "reject"}},
  "grants": [{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [
    {"role": "admin", "read_metrics": true}, {"models": "**", "quotas": [{"bucket": "team"}]}]}}],
}`, fakeURL, capacity)
}

// startReplica runs one aperture replica on the shared database dsn, with
// a state directory of its own, on a loopback port.
func startReplica(t *testing.T, dsn, cfgText string) (*testbin.Proc, string) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "aperture")
	os.MkdirAll(state, 0o700)
	cfg := filepath.Join(state, "config.hujson")
	writeFile(t, cfg, []byte(cfgText))
	addr := "127.0.0.1:" + freePort(t)
	env := append(os.Environ(), "E2E_PROVIDER_KEY=sk-ant-e2e")
	p := testbin.Start(t, env, testbin.Build(t, "aperture"),
		"--no-tailnet", "--listen", addr, "--state-dir", state, "--config", cfg, "--database", dsn, "--allow-secret-ref", "env:E2E_PROVIDER_KEY")
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitHTTP(ctx, t, base+"/healthz", 200).Body.Close()
	return p, base
}

// askReplica sends one Anthropic request, tagged by its User-Agent, and
// reads the answer to its end. done reports that the client received the
// whole answer (the gateway had committed its row by then).
func askReplica(base, tag string, stream bool) (status int, done bool, err error) {
	body := fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":400,"stream":%v,"messages":[{"role":"user","content":%q}]}`,
		stream, strings.Repeat("count the sheep please ", 20))
	req, _ := http.NewRequest("POST", base+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", tag)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, false, err
	}
	if res.StatusCode == 200 && stream && !strings.Contains(string(b), "message_stop") {
		return res.StatusCode, false, nil
	}
	return res.StatusCode, true, nil
}

// money is what the shared database says about bucket "team", in
// nanodollars: the balance, and what the quota tables account for
// (settled charges, open holds, holds released with their replica).
type money struct {
	capacity, balance, reserved int64
	charged, held, released     int64
	holds                       int
}

func teamMoney(t *testing.T, db *sql.DB) money {
	t.Helper()
	var m money
	if err := db.QueryRow(`SELECT capacity, nanos, reserved FROM quota_buckets WHERE name = 'team'`).Scan(&m.capacity, &m.balance, &m.reserved); err != nil {
		t.Fatalf("reading the bucket: %v", err)
	}
	q := func(query string, dst ...any) {
		if err := db.QueryRow(query).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	q(`SELECT coalesce(sum(cost), 0) FROM quota_charges WHERE 'team' = ANY(buckets)`, &m.charged)
	q(`SELECT count(*), coalesce(sum(amount), 0) FROM quota_holds WHERE 'team' = ANY(buckets)`, &m.holds, &m.held)
	q(`SELECT coalesce(sum(CASE WHEN settled IS NULL THEN amount ELSE cost END), 0) FROM quota_hold_releases WHERE 'team' = ANY(buckets)`, &m.released)
	return m
}

// TestReplicasShareOneLimit runs two gateway processes on one PostgreSQL
// database and sends dozens of slow requests at once, spread across both,
// against a budget that pays for a few: together they never spend more
// than it has, and the database accounts for every nanodollar.
func TestReplicasShareOneLimit(t *testing.T) {
	fake := fakellm.New(fakellm.WithUsage(fakellm.Usage{InputTokens: 120, OutputTokens: 400}),
		fakellm.WithOutputLimits(), fakellm.WithLatency(300*time.Millisecond))
	fakeURL, _ := fake.Start()
	defer fake.Close()
	pg := pgtest.Start(t, pgtest.Options{})
	dsn := pg.NewDatabase(t)
	// $0.03: a request costs about $0.0064 (120 in at $3/M, 400 out at
	// $15/M), so a handful fit, not forty.
	cfg := replicaConfig(fakeURL, "$0.03")
	_, a := startReplica(t, dsn, cfg)
	_, b := startReplica(t, dsn, cfg)

	const n = 40
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		base := []string{a, b}[i%2]
		wg.Go(func() {
			status, _, err := askReplica(base, fmt.Sprintf("e2e-%d", i), i%3 == 0)
			switch {
			case err != nil:
				t.Errorf("request %d: %v", i, err)
			case status == 200:
				ok.Add(1)
			case status == 429:
				refused.Add(1)
			default:
				t.Errorf("request %d: status %d", i, status)
			}
		})
	}
	wg.Wait()
	if ok.Load() == 0 || refused.Load() == 0 {
		t.Fatalf("%d answered, %d refused: the budget did not bound anything", ok.Load(), refused.Load())
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := teamMoney(t, db)
	var spent int64
	var rows int
	if err := db.QueryRow(`SELECT count(*), coalesce(sum(cost_nanodollars), 0) FROM requests WHERE status = 200`).Scan(&rows, &spent); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d answered, %d refused; %d rows spent %d of %d nanodollars; balance %d", ok.Load(), refused.Load(), rows, spent, m.capacity, m.balance)
	if spent > m.capacity || m.balance < 0 {
		t.Errorf("overspent: rows cost %d, balance %d, capacity %d", spent, m.balance, m.capacity)
	}
	if int64(rows) != ok.Load() {
		t.Errorf("%d rows for %d answers", rows, ok.Load())
	}
	if m.holds != 0 || m.reserved != 0 || m.charged != spent || m.balance != m.capacity-m.charged {
		t.Errorf("not conserved: %+v, rows spent %d", m, spent)
	}

	// One config: a save through A is what B runs within 2 s.
	hashOf := func(base string) string {
		var got struct {
			Hash string `json:"hash"`
		}
		res, err := http.Get(base + "/api/config")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		return got.Hash
	}
	saved, _ := json.Marshal(map[string]string{"config": replicaConfig(fakeURL, "$1.00"), "hash": hashOf(a)})
	req, _ := http.NewRequest("PUT", a+"/api/config", bytes.NewReader(saved))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Aperture-CSRF", "1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var put struct {
		Hash string `json:"hash"`
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	json.Unmarshal(body, &put)
	if res.StatusCode != 200 || put.Hash == "" {
		t.Fatalf("saving the config on A: %d %s", res.StatusCode, body)
	}
	testbin.WaitUntil(t, 2*time.Second, func() error {
		if h := hashOf(b); h != put.Hash {
			return fmt.Errorf("B runs config %.12s, A saved %.12s", h, put.Hash)
		}
		return nil
	})
}

// TestReplicaSIGKILLLosesNothing kills one of two replicas while requests
// run on both: every answer a client received in full has its row, the
// surviving replica keeps serving, and the bucket's balance is capacity
// minus settled charges minus holds (the dead replica's still open) to
// the nanodollar.
func TestReplicaSIGKILLLosesNothing(t *testing.T) {
	fake := fakellm.New(fakellm.WithUsage(fakellm.Usage{InputTokens: 120, OutputTokens: 400}),
		fakellm.WithOutputLimits(), fakellm.WithChunks(8), fakellm.WithPacing(40*time.Millisecond))
	fakeURL, _ := fake.Start()
	defer fake.Close()
	pg := pgtest.Start(t, pgtest.Options{})
	dsn := pg.NewDatabase(t)
	cfg := replicaConfig(fakeURL, "$100")
	pa, a := startReplica(t, dsn, cfg)
	_, b := startReplica(t, dsn, cfg)

	var mu sync.Mutex
	completed := map[string]bool{} // tags of answers received in full
	var onA atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 12 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				base := []string{a, b}[w%2]
				tag := fmt.Sprintf("e2e-w%d-%d", w, i)
				status, done, err := askReplica(base, tag, i%2 == 0)
				if err == nil && done && status == 200 {
					mu.Lock()
					completed[tag] = true
					mu.Unlock()
					if base == a {
						onA.Add(1)
					}
				} else if base == b {
					t.Errorf("the surviving replica failed request %s: %d %v", tag, status, err)
				}
			}
		})
	}
	// Kill A once it has answered a few, in the middle of others.
	testbin.WaitUntil(t, 60*time.Second, func() error {
		if onA.Load() < 10 {
			return fmt.Errorf("replica A answered %d", onA.Load())
		}
		return nil
	})
	pa.Signal(syscall.SIGKILL)
	time.Sleep(time.Second) // B keeps serving meanwhile
	close(stop)
	wg.Wait()

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT user_agent FROM requests`)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for rows.Next() {
		var ua string
		rows.Scan(&ua)
		recorded[ua] = true
	}
	rows.Close()
	for tag := range completed {
		if !recorded[tag] {
			t.Errorf("answer %s was received in full but has no row", tag)
		}
	}
	m := teamMoney(t, db)
	t.Logf("%d answers received in full, %d rows; %+v", len(completed), len(recorded), m)
	if m.balance != m.capacity-m.charged-m.held-m.released || m.reserved != m.held {
		t.Errorf("not conserved to the nanodollar: balance %d != capacity %d - charged %d - held %d - released %d (reserved %d)",
			m.balance, m.capacity, m.charged, m.held, m.released, m.reserved)
	}
}
