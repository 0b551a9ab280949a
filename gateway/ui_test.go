package gateway

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// dashConfig: alice is an admin with every model; bob a user with
// Anthropic models and a daily budget; erin a user whose budget is empty;
// tag:prom may only read metrics; carol has nothing. The Anthropic key
// is a literal (masked when shown), the OpenAI one a file reference.
const dashConfig = `// dashboard test config
{
  "providers": {
    "anthropic": {
      "baseurl": "%[1]s",
      "apikey": "sk-ant-literal-provider-key-0123456789",
      "models": ["claude-haiku-4-5-20251001", "claude-sonnet-4-5"],
      "authorization": "x-api-key",
      "cost_basis": "anthropic",
      "compatibility": {"anthropic_messages": true},
    },
    "openai": {
      "baseurl": "%[1]s/v1",
      "apikey": "file:openai.key", // read from a file next to this one
      "models": ["gpt-4o"],
      "cost_basis": "openai",
      "compatibility": {"openai_chat": true},
    },
  },
  "quotas": {
    "daily:<user>": {"capacity": "$10.00", "rate": "$10.00/day", "on_exceed": "reject"},
    "empty:<user>": {"capacity": "$0.00", "rate": "$0.01/month", "on_exceed": "reject"},
  },
  "grants": [
    {"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}},
    {"src": ["bob@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "anthropic/**", "quotas": [{"bucket": "daily:<user>"}]}]}},
    {"src": ["erin@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**", "quotas": [{"bucket": "empty:<user>"}]}]}},
    {"src": ["tag:prom"], "app": {"tailscale.com/cap/aperture": [{"read_metrics": true}]}},
  ],
}
`

// dashFixture is a gateway with a real ledger, quotas and a config file,
// with one front end per tailnet caller (see fixture in gateway_test.go).
type dashFixture struct {
	fake   *fakellm.Server
	gw     *Server
	ledger *ledger.Ledger
	asked  *askedStore // the gateway's Store: the ledger, recording queries
	path   string      // config file
	fronts map[string]*httptest.Server
	local  *httptest.Server
}

func newDashFixture(t *testing.T) *dashFixture {
	t.Helper()
	return newDashFixtureWith(t, dashConfig)
}

// newDashFixtureWith is newDashFixture with another config (a format
// string taking the fake provider's URL).
func newDashFixtureWith(t *testing.T, configFormat string) *dashFixture {
	t.Helper()
	fake := fakellm.New()
	up := httptest.NewServer(fake.Handler())
	t.Cleanup(up.Close)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.hujson")
	src := []byte(fmt.Sprintf(configFormat, up.URL))
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "openai.key"), []byte("sk-openai-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := config.ParseFile(path, src)
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	l, err := ledger.Open(filepath.Join(dir, "aperture.db"), ledger.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	qm, err := quotas.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	who := fakeWhoIs{
		"100.64.0.1": user("alice@example.com"),
		"100.64.0.2": user("bob@example.com"),
		"100.64.0.3": user("carol@example.com"),
		"100.64.0.4": tagged("tag:prom"),
		"100.64.0.5": user("erin@example.com"),
	}
	asked := &askedStore{Ledger: l}
	gw, err := New(cfg, src, Options{WhoIs: who.whois, Hostnames: func() []string { return []string{"ai", "ai.tail-scale.ts.net"} }, Ledger: l, Store: asked, Quotas: qm, Logf: t.Logf,
		ConfigPath: path, Version: "v-dash"})
	if err != nil {
		t.Fatal(err)
	}
	f := &dashFixture{fake: fake, gw: gw, ledger: l, asked: asked, path: path, fronts: map[string]*httptest.Server{}}
	for ip, w := range who {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.RemoteAddr = ip + ":41641"
			gw.ServeHTTP(w, r)
		}))
		t.Cleanup(ts.Close)
		name := strings.Split(w.UserProfile.LoginName, "@")[0]
		if len(w.Node.Tags) > 0 {
			name = "prom"
		}
		f.fronts[name] = ts
	}
	f.local = httptest.NewServer(gw.LocalHandler())
	t.Cleanup(f.local.Close)
	return f
}

func (f *dashFixture) url(who, path string) string { return f.fronts[who].URL + path }

// askedStore is the ledger as the gateway's Store, recording whose rows
// each query asked for, so a test checks what a page read rather than
// only what its markup happens not to show. Embedding the *ledger.Ledger
// keeps every method the ledger has beyond Store.
type askedStore struct {
	*ledger.Ledger
	mu    sync.Mutex
	asked []string // "Method principal", "" for everyone's rows
}

func (s *askedStore) note(method, principal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, method+" "+principal)
}

// take returns the queries made since the last take, and forgets them.
func (s *askedStore) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.asked
	s.asked = nil
	return out
}

// principals is the sorted set of principals queries were limited to,
// "" standing for an unlimited one (everyone's rows).
func principals(asked []string) []string {
	var out []string
	for _, a := range asked {
		_, p, _ := strings.Cut(a, " ")
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func (s *askedStore) Requests(ctx context.Context, q ledger.Query) ([]ledger.Row, error) {
	s.note("Requests", q.Principal)
	return s.Ledger.Requests(ctx, q)
}

func (s *askedStore) Usage(ctx context.Context, q ledger.UsageQuery) ([]ledger.UsageRow, error) {
	s.note("Usage", q.Principal)
	return s.Ledger.Usage(ctx, q)
}

func (s *askedStore) UsageCells(ctx context.Context, from, to time.Time, principal string) ([]ledger.UsageCell, error) {
	s.note("UsageCells", principal)
	return s.Ledger.UsageCells(ctx, from, to, principal)
}

func (s *askedStore) UsageCSV(ctx context.Context, w io.Writer, from, to time.Time, principal string) error {
	s.note("UsageCSV", principal)
	return s.Ledger.UsageCSV(ctx, w, from, to, principal)
}

func (s *askedStore) Sessions(ctx context.Context, q ledger.SessionQuery) ([]ledger.SessionRow, error) {
	s.note("Sessions", q.Principal)
	return s.Ledger.Sessions(ctx, q)
}

func (s *askedStore) CapturedAnswers(ctx context.Context, q ledger.CapturedAnswerQuery, fn func(ledger.CapturedAnswer) error) error {
	s.note("CapturedAnswers", q.Principal)
	return s.Ledger.CapturedAnswers(ctx, q, fn)
}

// traffic sends requests through the gateway so the ledger holds real
// rows: two for alice (Anthropic, OpenAI), one for bob.
func (f *dashFixture) traffic(t *testing.T) {
	t.Helper()
	for _, c := range []struct{ who, path, body string }{
		{"alice", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"alice's secret plan"}]}`},
		{"alice", "/v1/chat/completions", seedChat},
		{"bob", "/v1/messages", `{"model":"claude-haiku-4-5-20251001","max_tokens":50,"messages":[{"role":"user","content":"bob's question"}]}`},
	} {
		if res, body := do(t, "POST", f.url(c.who, c.path), c.body); res.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", c.who, c.path, res.StatusCode, body)
		}
	}
}

func TestUIPagesByRole(t *testing.T) {
	const alice, bob = "alice@example.com", "bob@example.com"
	f := newDashFixture(t)
	f.traffic(t)
	tests := []struct {
		who, path string
		status    int
		// Each thing out has its like in: the page shows the caller's
		// own row in the same markup it must not use for another's, so
		// a template change cannot make an absence vacuous.
		in, out []string
		// reads is whose rows the page asked the ledger for, sorted (""
		// is everyone's): the privacy rule itself, checked where the
		// rows are chosen rather than in the markup.
		reads []string
	}{
		{"alice", "/ui/", 200, []string{"Your usage", "claude-sonnet-4-5", "gpt-4o", `<svg class="chart"`, "Aperture v-dash"}, []string{"claude-haiku"},
			[]string{"", alice}}, // everyone's: the admin's list of users
		{"alice", "/ui/dashboard/bob@example.com", 200, []string{"Usage of bob@example.com", "claude-haiku-4-5-20251001"}, []string{"gpt-4o"},
			[]string{"", bob}},
		{"alice", "/ui/logs", 200, []string{"alice@example.com", "bob@example.com", "claude-haiku-4-5-20251001"}, nil, []string{""}},
		{"alice", "/ui/models", 200, []string{"claude-sonnet-4-5", "$3.00", "$15.00", "/v1/chat/completions"}, nil, nil},
		{"alice", "/ui/adoption", 200, []string{"Active users per day", "bob@example.com", "/api/usage.csv?from="}, nil, []string{""}},
		{"alice", "/ui/settings", 200, []string{"sk-a…(masked)", "file:openai.key", "// dashboard test config"}, []string{"literal-provider-key"}, nil},
		{"alice", "/ui/connect", 200, []string{"claude --model claude-haiku-4-5-20251001", "OpenAI SDK"}, nil, nil},
		{"bob", "/ui/", 200, []string{"Your usage", "claude-haiku-4-5-20251001</td>", "daily:bob@example.com", "$10.00/day"}, []string{"claude-sonnet-4-5</td>", "gpt-4o"},
			[]string{bob}},
		{"bob", "/ui/dashboard/alice@example.com", 403, nil, []string{"gpt-4o"}, nil},
		{"bob", "/ui/logs", 200, []string{"claude-haiku-4-5-20251001</td>", "bob@example.com"}, []string{"alice@example.com", "gpt-4o</td>"},
			[]string{bob}},
		{"bob", "/ui/logs?user=alice%40example.com", 403, nil, []string{"gpt-4o</td>"}, nil},
		{"bob", "/ui/models", 200, []string{"claude-haiku-4-5-20251001", "daily:bob@example.com: $10.00 of $10.00"}, []string{"gpt-4o"}, nil},
		{"bob", "/ui/adoption", 403, []string{"for admins"}, []string{"alice@example.com"}, nil},
		{"bob", "/ui/settings", 403, []string{"for admins", "--admin bob@example.com"}, []string{"sk-a…(masked)", "anthropic"}, nil},
		{"carol", "/ui/", 403, []string{"no role granted"}, nil, nil},
		{"prom", "/ui/", 403, []string{"no role granted"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.path, func(t *testing.T) {
			// A header claiming to be someone else changes nothing.
			f.asked.take()
			res, body := do(t, "GET", f.url(tt.who, tt.path), "", "Tailscale-User-Login", "alice@example.com")
			asked := f.asked.take()
			if got := principals(asked); !slices.Equal(got, tt.reads) {
				t.Errorf("read the rows of %q, want only %q; queries: %q", got, tt.reads, asked)
			}
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			for _, s := range tt.in {
				if !strings.Contains(body, s) {
					t.Errorf("lacks %q", s)
				}
			}
			for _, s := range tt.out {
				if strings.Contains(body, s) {
					t.Errorf("shows %q", s)
				}
			}
			if t.Failed() {
				t.Logf("%s", body)
			}
		})
	}
}

// limitCards reads a dashboard's spending limits: bucket → term → text.
func limitCards(body string) map[string]map[string]string {
	card := regexp.MustCompile(`(?s)<li class="card" data-bucket="([^"]*)">(.*?)</li>`)
	term := regexp.MustCompile(`(?s)<dt>(.*?)</dt><dd>(.*?)</dd>`)
	tag := regexp.MustCompile(`<[^>]*>`)
	text := func(s string) string {
		return strings.Join(strings.Fields(html.UnescapeString(tag.ReplaceAllString(s, ""))), " ")
	}
	out := map[string]map[string]string{}
	for _, c := range card.FindAllStringSubmatch(body, -1) {
		terms := map[string]string{}
		for _, d := range term.FindAllStringSubmatch(c[2], -1) {
			terms[text(d[1])] = text(d[2])
		}
		out[html.UnescapeString(c[1])] = terms
	}
	return out
}

// The dashboard's limits come from the caller's grants: an admin sees
// the buckets their own grants name, with the models each applies to, and
// a user's buckets (by name) on that user's dashboard.
func TestUIDashboardLimits(t *testing.T) {
	cfg := strings.Replace(dashConfig, `[{"role": "admin"}, {"models": "**"}]`,
		`[{"role": "admin"}, {"models": "**"}, {"models": "openai/**", "quotas": [{"bucket": "daily:<user>"}]}]`, 1)
	f := newDashFixtureWith(t, cfg)
	f.traffic(t)
	tests := []struct {
		who, path, bucket string
		want              map[string]string
	}{
		{"alice", "/ui/", "daily:alice@example.com", map[string]string{"Capacity": "$10.00", "Refill rate": "$10.00/day",
			"In flight": "$0", "Applies to": "gpt-4o"}},
		{"bob", "/ui/", "daily:bob@example.com", map[string]string{"Capacity": "$10.00", "Refill rate": "$10.00/day",
			"In flight": "$0", "Applies to": "every model you may use"}}, // bob may use only Anthropic's
		{"alice", "/ui/dashboard/bob@example.com", "daily:bob@example.com", map[string]string{"Capacity": "$10.00",
			"Refill rate": "$10.00/day", "In flight": "$0"}},
	}
	for _, tt := range tests {
		_, body := do(t, "GET", f.url(tt.who, tt.path), "")
		cards := limitCards(body)
		got, ok := cards[tt.bucket]
		if len(cards) != 1 || !ok {
			t.Errorf("%s %s: limits %v, want only %s", tt.who, tt.path, cards, tt.bucket)
			continue
		}
		// Each spent a fraction of a cent (the balance still reads
		// "$10.00"): the bucket is below capacity and refilling.
		if full := got["Full again"]; !strings.HasPrefix(full, "in ") || !strings.HasSuffix(full, " UTC") {
			t.Errorf("%s %s: full again %q", tt.who, tt.path, full)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s %s: %s = %q, want %q", tt.who, tt.path, k, got[k], v)
			}
		}
		if _, ok := tt.want["Applies to"]; !ok && got["Applies to"] != "" {
			t.Errorf("%s %s: applies to %q on someone else's dashboard", tt.who, tt.path, got["Applies to"])
		}
	}
}

// detailLinks returns the request detail links of a page.
func detailLinks(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="(/ui/logs/[^"]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, strings.ReplaceAll(m[1], "&amp;", "&"))
	}
	return out
}

func TestUIRequestDetailIsPrivate(t *testing.T) {
	f := newDashFixture(t)
	f.traffic(t)
	_, page := do(t, "GET", f.url("alice", "/ui/logs?user=alice%40example.com&model=claude-sonnet-4-5"), "")
	links := detailLinks(page)
	if len(links) != 1 {
		t.Fatalf("alice's sonnet request links: %v", links)
	}
	res, body := do(t, "GET", f.url("alice", links[0]), "")
	if res.StatusCode != 200 || !strings.Contains(body, "alice&#39;s secret plan") || !strings.Contains(body, "Tokens and cost") {
		t.Errorf("alice's own detail: %d\n%s", res.StatusCode, body)
	}
	if strings.Contains(body, "literal-provider-key") {
		t.Errorf("provider key on the detail page")
	}
	res, body = do(t, "GET", f.url("bob", links[0]), "")
	if res.StatusCode != 404 || strings.Contains(body, "secret plan") {
		t.Errorf("bob opened alice's request: %d", res.StatusCode)
	}
}

func TestUIConnectThroughUnplug(t *testing.T) {
	f := newDashFixture(t)
	// ts-unplug keeps Host: ai and says where the user reached it.
	req, _ := http.NewRequest("GET", f.url("bob", "/ui/connect"), nil)
	req.Host = "ai"
	req.Header.Set("X-Forwarded-Host", "localhost:9996")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(res)
	if !strings.Contains(body, "export ANTHROPIC_BASE_URL=http://localhost:9996\n") || strings.Contains(body, "http://ai/") {
		t.Errorf("connect through ts-unplug:\n%s", body)
	}
	req.Header.Del("X-Forwarded-Host")
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(res2); !strings.Contains(body, "export ANTHROPIC_BASE_URL=http://ai\n") {
		t.Errorf("connect on the tailnet:\n%s", body)
	}
}

func readAll(res *http.Response) string {
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestUIRedirects(t *testing.T) {
	f := newDashFixture(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{"/": "/ui/", "/ui": "/ui/"} {
		res, err := client.Get(f.url("bob", path))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != want {
			t.Errorf("%s redirects to %q, want %q", path, loc, want)
		}
	}
}
