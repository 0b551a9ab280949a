package gateway

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/pgtest"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// TestMain stops the PostgreSQL server pgtest.Database starts.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestQuotaDatabaseDownRefuses503 checks that a request whose spending
// limit lives in a shared database that cannot be reached is refused with
// a 503 the SDKs retry, in the caller's dialect, without the database's
// error text, and is never forwarded.
func TestQuotaDatabaseDownRefuses503(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	db, err := sql.Open("pgx", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qm, err := quotas.NewShared(db, "test-replica", nil, quotas.SharedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hit := false
	_, base := localGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }),
		strings.Replace(anthropicOnly, `"authorization"`, `"cost_basis":"anthropic","authorization"`, 1), Options{Quotas: qm, Ledger: noLedger{}})
	pg.Stop()
	res, body := do(t, "POST", base+"/v1/messages",
		`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != 503 || !strings.Contains(body, "overloaded_error") || !strings.Contains(body, "spending-limit database") ||
		strings.Contains(body, pg.Dir) || res.Header.Get("Retry-After") != "1" {
		t.Errorf("%d Retry-After %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if hit {
		t.Error("forwarded although the spending limit could not be checked")
	}
	// The admin API says the same, not a bare 500: a refill is a 503
	// to retry, and the balances page still answers without the
	// released holds it cannot read.
	req, _ := http.NewRequest("POST", base+"/api/quotas/refill", strings.NewReader(`{"bucket":"daily:(loopback)","amount":"$1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(CSRFHeader, "1")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 {
		t.Errorf("refill with the database down: %d, want 503", res.StatusCode)
	}
	res, body = do(t, "GET", base+"/api/quotas", "")
	if res.StatusCode != 200 || !strings.Contains(body, "hold_releases_error") {
		t.Errorf("/api/quotas with the database down: %d %s", res.StatusCode, body)
	}
}

// TestQuotaAPIListsHoldReleases checks that an admin's /api/quotas lists
// the holds a dead replica left, once the sweeper released them: the
// money kept charged that the admin reviews and may refund.
func TestQuotaAPIListsHoldReleases(t *testing.T) {
	dsn := pgtest.Database(t)
	open := func() *sql.DB {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	opts := quotas.SharedOptions{RenewEvery: 50 * time.Millisecond, HoldTimeout: 500 * time.Millisecond}
	live, err := quotas.NewShared(open(), "live", nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := quotas.NewShared(open(), "dead", nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	cfgText := strings.Replace(anthropicOnly, `"authorization"`, `"cost_basis":"anthropic","authorization"`, 1)
	_, base := localGateway(t, http.NotFoundHandler(), cfgText, Options{Quotas: live, Ledger: noLedger{}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go live.Run(ctx)
	// The dead replica holds money and never renews or settles it.
	dead.Configure(mustParse(t, fmt.Sprintf(cfgText, "http://127.0.0.1:1")).Quotas)
	if _, err := dead.Reserve(quotas.Refs([]string{"daily:(loopback)"}, []string{"daily:<user>"}), 250_000_000); err != nil {
		t.Fatal(err)
	}
	testbin.WaitUntil(t, 20*time.Second, func() error {
		_, body := do(t, "GET", base+"/api/quotas", "")
		var got struct {
			Releases []quotas.HoldRelease `json:"hold_releases"`
		}
		json.Unmarshal([]byte(body), &got)
		if len(got.Releases) != 1 || got.Releases[0].Replica != "dead" || got.Releases[0].Amount != 250_000_000 {
			return fmt.Errorf("hold_releases = %s", body)
		}
		return nil
	})
}

func mustParse(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, diags, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err, diags)
	}
	return cfg
}
