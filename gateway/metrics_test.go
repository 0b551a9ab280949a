package gateway

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/pricing"
	"github.com/tsplug/ts-plug/gateway/usage"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// metricValue finds one sample of the exposition text: name with every
// label in labels (a subset, in any order). ok is false when absent.
func metricValue(text, name string, labels map[string]string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		match := true
		for k, v := range labels {
			if !strings.Contains(m[1], k+`="`+v+`"`) {
				match = false
			}
		}
		if match {
			f, err := strconv.ParseFloat(m[2], 64)
			return f, err == nil
		}
	}
	return 0, false
}

func TestMetrics(t *testing.T) {
	f := newDashFixture(t)
	f.fake.SetUsage(fakellm.Usage{InputTokens: 1000, OutputTokens: 100})
	f.traffic(t)
	f.fake.FailNext(1, fakellm.Failure{Status: 503, Message: "overloaded"})
	if res, _ := do(t, "POST", f.url("alice", "/v1/messages"), seedMessages); res.StatusCode != 503 {
		t.Fatalf("failure not passed through: %d", res.StatusCode)
	}
	if res, _ := do(t, "POST", f.url("erin", "/v1/messages"), seedMessages); res.StatusCode != 429 {
		t.Fatalf("empty bucket did not refuse: %d", res.StatusCode)
	}
	_, src := f.gw.Config()
	f.gw.ReloadFrom(f.path, src)
	f.gw.ReloadFrom(f.path, []byte("{ not a config"))

	for _, who := range []string{"alice", "bob", "carol"} {
		if res, body := do(t, "GET", f.url(who, "/metrics"), ""); res.StatusCode != 403 || !strings.Contains(body, "read_metrics") {
			t.Errorf("%s without read_metrics: %d %s", who, res.StatusCode, body)
		}
	}
	// Rows are committed a few milliseconds after their answers; a scrape
	// does not wait for them (it must work while the database is stuck).
	if err := f.ledger.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, text := do(t, "GET", f.url("prom", "/metrics"), "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	price, ok := pricing.Lookup("anthropic", "claude-sonnet-4-5")
	if !ok {
		t.Fatal("no built-in price for claude-sonnet-4-5")
	}
	sonnetCost, known := pricing.Cost(price, usage.Usage{InputTokens: 1000, OutputTokens: 100, Found: true})
	if !known {
		t.Fatal("claude-sonnet-4-5's usage has no cost")
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"aperture_requests_total", map[string]string{"provider": "anthropic", "model": "claude-sonnet-4-5", "api": "anthropic_messages", "code": "200"}, 1},
		{"aperture_requests_total", map[string]string{"provider": "openai", "model": "gpt-4o", "code": "200"}, 1},
		{"aperture_requests_total", map[string]string{"model": "claude-haiku-4-5-20251001", "code": "503"}, 1},
		{"aperture_tokens_total", map[string]string{"provider": "anthropic", "model": "claude-sonnet-4-5", "type": "input"}, 1000},
		{"aperture_tokens_total", map[string]string{"provider": "openai", "model": "gpt-4o", "type": "output"}, 100},
		// claude-sonnet-4-5's one request: 1000 in, 100 out.
		{"aperture_cost_nanodollars_total", map[string]string{"provider": "anthropic", "model": "claude-sonnet-4-5"}, float64(sonnetCost)},
		{"aperture_request_duration_seconds_count", map[string]string{"provider": "anthropic", "api": "anthropic_messages"}, 3},
		{"aperture_time_to_first_byte_seconds_count", map[string]string{"provider": "openai", "api": "openai_chat"}, 1},
		{"aperture_upstream_errors_total", map[string]string{"provider": "anthropic", "kind": "status_5xx"}, 1},
		{"aperture_quota_rejections_total", map[string]string{"provider": "anthropic", "model": "claude-haiku-4-5-20251001"}, 1},
		{"aperture_config_reloads_total", map[string]string{"source": "file", "result": "ok"}, 1},
		{"aperture_config_reloads_total", map[string]string{"source": "file", "result": "error"}, 1},
		{"aperture_ledger_rows_total", nil, 4},
		{"aperture_ledger_queue_depth", nil, 0},
		{"aperture_ledger_logged_rows", nil, 0},
		{"aperture_build_info", map[string]string{"version": "v-dash"}, 1},
	}
	for _, tt := range tests {
		got, ok := metricValue(text, tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if tx, ok := metricValue(text, "aperture_ledger_transactions_total", nil); !ok || tx < 1 {
		t.Errorf("aperture_ledger_transactions_total = %v (found %v), want at least 1", tx, ok)
	}
	if _, ok := metricValue(text, "go_goroutines", nil); !ok {
		t.Errorf("no Go runtime metrics")
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", text)
	}
}

func TestConfigSaveCountsAsReload(t *testing.T) {
	f := newDashFixture(t)
	_, body := do(t, "GET", f.url("alice", "/api/config"), "")
	cur := decodeAnswer(t, body)
	if res, body := do(t, "PUT", f.url("alice", "/api/config"), putBody(cur.Config, cur.Hash), csrf...); res.StatusCode != 200 {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	_, text := do(t, "GET", f.url("prom", "/metrics"), "")
	if v, ok := metricValue(text, "aperture_config_reloads_total", map[string]string{"source": "api", "result": "ok"}); !ok || v != 1 {
		t.Errorf("api reloads = %v %v", v, ok)
	}
}

func TestUpstreamErrorKind(t *testing.T) {
	tests := []struct {
		rec  ledger.Record
		want string
	}{
		{ledger.Record{Status: 200}, ""},
		{ledger.Record{Status: 200, Interrupted: true}, "interrupted"},
		{ledger.Record{Status: 499, Interrupted: true}, ""},
		{ledger.Record{Status: 502, Error: "cannot reach provider"}, "unreachable"},
		{ledger.Record{Status: 502}, "status_5xx"},
		{ledger.Record{Status: 429}, "rate_limited"},
		{ledger.Record{Status: 400}, "status_4xx"},
	}
	for _, tt := range tests {
		if got := upstreamErrorKind(&tt.rec); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.rec, got, tt.want)
		}
	}
}

func TestMetricsNilSafe(t *testing.T) {
	var m *metrics
	m.observe(&ledger.Record{})
	m.quotaRejected("p", "m")
	m.configReload("file", true)
}
