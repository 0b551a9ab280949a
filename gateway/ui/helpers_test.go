package ui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// testNow is "now" for every page test: seeded rows are relative to it.
var testNow = time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)

// viewerHeader names the fake source's viewer. Only this test source
// reads it; the gateway's real source identifies callers by connection.
const viewerHeader = "X-Test-Viewer"

// fakeSource serves fixed viewers and a real ledger.
type fakeSource struct {
	viewers map[string]Viewer
	store   Store
	config  ConfigView
	others  map[string][]quotas.BalanceView
}

func (f *fakeSource) Viewer(r *http.Request) (Viewer, error) {
	v, ok := f.viewers[r.Header.Get(viewerHeader)]
	if !ok {
		return Viewer{}, errors.New("no role granted")
	}
	return v, nil
}
func (f *fakeSource) QuotasOf(p string) []quotas.BalanceView { return f.others[p] }
func (f *fakeSource) Store() Store                           { return f.store }
func (f *fakeSource) Config() ConfigView                     { return f.config }
func (f *fakeSource) Version() string                        { return "v-test" }

var (
	claude = Model{ID: "claude-sonnet-4-5", FQN: "anthropic/claude-sonnet-4-5", Provider: "anthropic", ProviderName: "Anthropic",
		APIs: []string{"anthropic_messages"}, Endpoints: []string{"/v1/messages"}, Basis: "anthropic/claude-sonnet-4-5",
		Input: "$3.00", Output: "$15.00", CacheRead: "$0.30"}
	gpt = Model{ID: "gpt-4o", FQN: "openai/gpt-4o", Provider: "openai", ProviderName: "OpenAI",
		APIs: []string{"openai_chat", "openai_responses"}, Endpoints: []string{"/v1/chat/completions", "/v1/responses"},
		Input: "$2.50", Output: "$10.00"}
	gptMini = Model{ID: "gpt-4o-mini", FQN: "openai/gpt-4o-mini", Provider: "openai", ProviderName: "OpenAI",
		APIs: []string{"openai_chat"}, Endpoints: []string{"/v1/chat/completions"}}
	bobQuota = quotas.BalanceView{Bucket: "daily:bob@example.com", Definition: "daily:<user>", BalanceNanos: 4e9,
		CapacityNanos: 10e9, Rate: "$5.00/day", Balance: "$4.00", Capacity: "$10.00"}
)

const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
	carol = "carol@example.com"
)

// pageFixture is a dashboard over a seeded ledger: alice is an admin,
// bob and carol are users, carol has no usage and no models.
type pageFixture struct {
	h   *Handler
	src *fakeSource
	l   *ledger.Ledger
	ids map[string]string // name → request ID of notable seeded rows
}

func newPageFixture(t *testing.T) *pageFixture {
	t.Helper()
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f := &pageFixture{l: l, ids: map[string]string{}}
	f.src = &fakeSource{
		viewers: map[string]Viewer{
			"alice": {Principal: alice, Admin: true, Models: []Model{claude, gpt, gptMini}},
			"bob":   {Principal: bob, Models: []Model{gptMini}, Quotas: []quotas.BalanceView{bobQuota}},
			"carol": {Principal: carol},
		},
		store:  l,
		config: ConfigView{Text: "{\n  // comment\n  \"providers\": {\"openai\": {\"apikey\": \"sk-p…(masked)\"}},\n}\n", Hash: "abc123", Path: "/etc/aperture/config.hujson", Writable: true},
		others: map[string][]quotas.BalanceView{bob: {bobQuota}},
	}
	f.h = New(f.src, func() time.Time { return testNow })
	f.seed(t)
	return f
}

// seed commits rows for alice (two models, a session, a capture with a
// tool call), bob (gpt-4o-mini, his own session) and a tagged CI device.
func (f *pageFixture) seed(t *testing.T) {
	t.Helper()
	n := 0
	add := func(name, login string, tags []string, model, session string, ago time.Duration, in, out, cost int64, capture *ledger.Capture) {
		n++
		at := testNow.Add(-ago)
		id := at.Format("20060102150405") + "-" + string(rune('a'+n))
		rec := &ledger.Record{ID: id, Time: at, LoginName: login, Tags: tags, Principal: login,
			NodeName: "node-" + login, Provider: "openai", Model: model, API: config.OpenAIChat, Status: 200,
			Duration: 1500 * time.Millisecond, TTFB: 300 * time.Millisecond, SessionID: session,
			Usage:     usage.Usage{InputTokens: in, OutputTokens: out, Found: true},
			CostNanos: cost, CostKnown: cost > 0, Capture: capture}
		if len(tags) > 0 {
			rec.Principal = strings.Join(tags, ",")
		}
		if strings.HasPrefix(model, "claude") {
			rec.Provider, rec.API = "anthropic", config.AnthropicMessages
		}
		if err := f.l.Commit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		if name != "" {
			f.ids[name] = id
		}
	}
	toolAnswer := `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"checking"},` +
		`{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],"usage":{"input_tokens":1000,"output_tokens":200}}`
	add("alice-tool", alice, nil, "claude-sonnet-4-5", "sess-alice", time.Hour, 1000, 200, 6_000_000, &ledger.Capture{
		RequestHeaders:  http.Header{"Authorization": {"Bearer sk-client-secret"}, "User-Agent": {"claude-cli/2.0"}},
		ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
		RequestBody:     []byte(`{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"weather in Paris?"}]}`),
		ResponseBody:    []byte(toolAnswer),
	})
	add("", alice, nil, "claude-sonnet-4-5", "sess-alice", 50*time.Minute, 2000, 300, 10_500_000, nil)
	add("alice-old", alice, nil, "gpt-4o", "", 26*time.Hour, 500, 50, 1_750_000, nil)
	add("bob-1", bob, nil, "gpt-4o-mini", "sess-bob", 2*time.Hour, 300, 30, 63_000, &ledger.Capture{
		RequestBody: []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"bob's private prompt"}]}`)})
	add("", bob, nil, "gpt-4o-mini", "sess-bob", 3*24*time.Hour, 400, 40, 84_000, nil)
	add("ci", "", []string{"tag:ci"}, "gpt-4o", "", 5*time.Hour, 100, 10, 0, nil)
}

// get fetches path as viewer (the fake source's name) and returns the
// status and body.
func (f *pageFixture) get(t *testing.T, viewer, path string, hdr ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "http://ai"+path, nil)
	req.Header.Set(viewerHeader, viewer)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

// emptyStore is a ledger with no rows.
func emptyStore(t *testing.T) Store {
	t.Helper()
	l, err := ledger.Open(filepath.Join(t.TempDir(), "empty.db"), ledger.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// want fails unless body contains every string in in and none in out.
func want(t *testing.T, body string, in, out []string) {
	t.Helper()
	for _, s := range in {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	for _, s := range out {
		if strings.Contains(body, s) {
			t.Errorf("page shows %q", s)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
	}
}
