package gateway

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/pgtest"
)

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
}
