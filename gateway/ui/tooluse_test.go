package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// Answers with tool calls in each API's format, whole and streamed.
const (
	anthropicTwoCalls = `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[` +
		`{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},` +
		`{"type":"tool_use","id":"toolu_2","name":"read_file","input":{"path":"/etc/hosts"}}],"stop_reason":"tool_use"}`
	chatStreamCall = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"
	responsesCall   = `{"id":"resp_1","object":"response","status":"completed","output":[{"type":"function_call","id":"fc_1","call_id":"call_2","name":"read_file","arguments":"{\"path\":\"a\"}"}]}`
	geminiArrayCall = `[{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}]},"finishReason":"STOP","index":0}]}]`
	chatNoCall      = `{"choices":[{"message":{"role":"assistant","content":"hi"}}]}`
)

// toolUseSeed is one request of the Tool Use fixture.
type toolUseSeed struct {
	principal, model string
	api              config.API
	ago              time.Duration
	answer           string // "" = not captured
}

// toolUseSeeds: alice makes 3 calls (2 get_weather... see wantTools),
// bob 2; carol's answers call nothing; an older call is out of range.
var toolUseSeeds = []toolUseSeed{
	{alice, "claude-sonnet-4-5", config.AnthropicMessages, time.Hour, anthropicTwoCalls},
	{alice, "gpt-4o", config.OpenAIChat, 2 * 24 * time.Hour, chatStreamCall},
	{bob, "gpt-4o-mini", config.OpenAIResponses, 3 * time.Hour, responsesCall},
	{bob, "gemini-2.5-pro", config.GeminiGenerateContent, 24 * time.Hour, geminiArrayCall},
	{carol, "gpt-4o", config.OpenAIChat, 2 * time.Hour, chatNoCall},
	{carol, "gpt-4o", config.OpenAIChat, 4 * time.Hour, ""},
	{alice, "claude-sonnet-4-5", config.AnthropicMessages, 10 * 24 * time.Hour, anthropicTwoCalls},
}

// toolUseLedger is a ledger holding seeds.
func toolUseLedger(t *testing.T, seeds []toolUseSeed) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for i, s := range seeds {
		at := testNow.Add(-s.ago)
		rec := &ledger.Record{ID: fmt.Sprintf("%s-%02d", at.Format("20060102150405"), i), Time: at, LoginName: s.principal,
			Principal: s.principal, NodeName: "node", Provider: "p", Model: s.model, API: s.api, Status: 200}
		if s.answer != "" {
			rec.Capture = &ledger.Capture{RequestBody: []byte(`{}`), ResponseBody: []byte(s.answer)}
		}
		if err := l.Commit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// toolUseFixture serves the dashboard over st with the usual viewers.
func toolUseFixture(st Store) *pageFixture {
	src := &fakeSource{store: st, viewers: map[string]Viewer{
		"alice": {Principal: alice, Admin: true},
		"bob":   {Principal: bob},
	}}
	return &pageFixture{h: New(src, func() time.Time { return testNow }), src: src}
}

// rows shows a table's rows as "key calls answers others models top".
func rows(tb toolTable) []string {
	var out []string
	for _, r := range tb.Rows {
		out = append(out, fmt.Sprintf("%s %d %d %d %d %s", r.Key, r.Calls, r.Requests, r.Others, r.Models, r.Top))
	}
	return out
}

// TestToolUseCounts reads the seeded ledger as the page does and checks
// every count of the three rankings.
func TestToolUseCounts(t *testing.T) {
	t.Parallel()
	l := toolUseLedger(t, toolUseSeeds)
	today := testNow.UTC().Truncate(24 * time.Hour)
	d := dayRange{Days: toolUseDays, From: today.AddDate(0, 0, -(toolUseDays - 1)), To: today.AddDate(0, 0, 1)}
	c := newToolCounter(d, DefaultToolUseBytes)
	if err := readAnswers(context.Background(), l, ledger.CapturedAnswerQuery{From: d.From, To: d.To, Limit: toolUseRequests}, c.add); err != nil {
		t.Fatal(err)
	}
	if c.read != 6 || c.captured != 5 || c.withCalls != 4 || c.calls != 5 {
		t.Errorf("read %d, captured %d, with calls %d, calls %d; want 6, 5, 4, 5", c.read, c.captured, c.withCalls, c.calls)
	}
	tests := []struct {
		name string
		got  toolTable
		want []string
	}{
		// tool calls answers users models top-user
		{"tools", rank(c.tools), []string{"get_weather 3 3 2 3 " + alice, "read_file 2 2 2 2 " + alice}},
		// user calls answers tools - most-called
		{"users", rank(c.users), []string{alice + " 3 2 2 0 get_weather", bob + " 2 2 2 0 get_weather"}},
		{"models", rank(c.models), []string{"claude-sonnet-4-5 2 1 2 0 get_weather", "gemini-2.5-pro 1 1 1 0 get_weather",
			"gpt-4o 1 1 1 0 get_weather", "gpt-4o-mini 1 1 1 0 read_file"}},
	}
	for _, tt := range tests {
		if got := rows(tt.got); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	// Per day: the bars are the last 7 days, today last.
	wantDays := map[string][]int64{"get_weather": {0, 0, 0, 0, 1, 1, 1}, "read_file": {0, 0, 0, 0, 0, 0, 2}}
	if got := c.byDay["tool"]; !reflect.DeepEqual(got, wantDays) {
		t.Errorf("calls per day by tool: %v, want %v", got, wantDays)
	}
}

func TestToolUsePage(t *testing.T) {
	t.Parallel()
	f := toolUseFixture(toolUseLedger(t, toolUseSeeds))
	tests := []struct {
		name, viewer, path string
		status             int
		in, out            []string
	}{
		{"admin sees everyone", "alice", "/ui/tooluse", 200,
			[]string{"<h1>Tool use</h1>", `id="tooluse-users"`, "Tool calls per day by user", "Tool calls per day by model",
				`<td><code>get_weather</code></td><td class="r">3</td>`, `<td><code>read_file</code></td><td class="r">2</td>`,
				`href="/ui/tooluse?user=bob%40example.com">bob@example.com</a></td><td class="r">2</td>`,
				"of the 6 requests in the last 7 days, the 6 most recent were read, and 5 of those had a capture",
				`aria-current="page">Tool Use</a>`},
			[]string{"at most 2,000"}},
		{"admin filters one user", "alice", "/ui/tooluse?user=bob%40example.com", 200,
			[]string{"Tool use of bob@example.com", `<td><code>get_weather</code></td><td class="r">1</td>`, `value="bob@example.com"`},
			[]string{`id="tooluse-users"`, "claude-sonnet-4-5"}},
		{"user sees only their own", "bob", "/ui/tooluse", 200,
			[]string{"Your tool use", "gpt-4o-mini", "gemini-2.5-pro", `<td><code>read_file</code></td><td class="r">1</td>`},
			[]string{"claude-sonnet-4-5", alice, `id="tooluse-users"`, `name="user"`}},
		{"user asking for someone else is refused", "bob", "/ui/tooluse?user=alice%40example.com", 403,
			[]string{"only see your own"}, []string{"get_weather"}},
		{"no role", "mallory", "/ui/tooluse", 403, []string{"Access denied"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.get(t, tt.viewer, tt.path)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			want(t, body, tt.in, tt.out)
		})
	}
}

// TestToolUseEmptyStates covers a ledger with no captures, one with no
// calls, an empty one, and none at all.
func TestToolUseEmptyStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		store  func(t *testing.T) Store
		status int
		in     []string
	}{
		{"captures off or purged", func(t *testing.T) Store {
			return toolUseLedger(t, []toolUseSeed{{alice, "m", config.OpenAIChat, time.Hour, ""}, {bob, "m", config.OpenAIChat, time.Hour, ""}})
		}, 200, []string{"None of these requests has a stored capture", "the 2 most recent were read, and 0 of those"}},
		{"no calls", func(t *testing.T) Store {
			return toolUseLedger(t, []toolUseSeed{{alice, "m", config.OpenAIChat, time.Hour, chatNoCall}})
		}, 200, []string{"No tool calls in the 1 captured answers."}},
		{"no requests", emptyStore, 200, []string{"No requests in the last 7 days."}},
		{"no ledger", func(*testing.T) Store { return nil }, 503, []string{"keeps no ledger"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := toolUseFixture(tt.store(t)).get(t, "alice", "/ui/tooluse")
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			want(t, body, tt.in, []string{"<svg"})
		})
	}
}

// plainStore hides the ledger's CapturedAnswers, as a store of the
// gateway without it would: the page reads requests and captures.
type plainStore struct{ l *ledger.Ledger }

func (s plainStore) Requests(ctx context.Context, q ledger.Query) ([]ledger.Row, error) {
	return s.l.Requests(ctx, q)
}
func (s plainStore) Sessions(ctx context.Context, q ledger.SessionQuery) ([]ledger.SessionRow, error) {
	return s.l.Sessions(ctx, q)
}
func (s plainStore) Capture(ctx context.Context, id string) (*ledger.Capture, error) {
	return s.l.Capture(ctx, id)
}

// unsupportedStore has CapturedAnswers, but its own store lacks it.
type unsupportedStore struct{ plainStore }

func (unsupportedStore) CapturedAnswers(context.Context, ledger.CapturedAnswerQuery, func(ledger.CapturedAnswer) error) error {
	return fmt.Errorf("captured answers: %w", errors.ErrUnsupported)
}

// TestToolUseWithoutAnswerQuery checks the page reads the same from a
// store without the ledger's query.
func TestToolUseWithoutAnswerQuery(t *testing.T) {
	t.Parallel()
	l := toolUseLedger(t, toolUseSeeds)
	_, direct := toolUseFixture(l).get(t, "alice", "/ui/tooluse")
	for _, st := range []Store{plainStore{l}, unsupportedStore{plainStore{l}}} {
		status, body := toolUseFixture(st).get(t, "alice", "/ui/tooluse")
		if status != 200 || body != direct {
			t.Errorf("%T: status %d, page differs from the ledger's:\n%s", st, status, body)
		}
	}
}

// manyStore is a store of n requests, each captured with one tool call,
// served from memory in the ledger's order (newest first, paged by ID).
type manyStore struct {
	rows     []ledger.Row
	requests int // Requests calls, to check the paging
}

func newManyStore(n int) *manyStore {
	s := &manyStore{}
	for i := range n {
		s.rows = append(s.rows, ledger.Row{ID: fmt.Sprintf("req-%05d", n-i), Time: testNow.Add(-time.Duration(i) * time.Second),
			LoginName: alice, Model: "gpt-4o", API: string(config.OpenAIResponses), Status: 200})
	}
	return s
}

func (s *manyStore) Requests(_ context.Context, q ledger.Query) ([]ledger.Row, error) {
	s.requests++
	i := 0
	if q.Before != "" {
		i = sort.Search(len(s.rows), func(i int) bool { return s.rows[i].ID < q.Before })
	}
	return s.rows[i:min(len(s.rows), i+q.Limit)], nil
}
func (s *manyStore) Sessions(context.Context, ledger.SessionQuery) ([]ledger.SessionRow, error) {
	return nil, nil
}
func (s *manyStore) Capture(_ context.Context, id string) (*ledger.Capture, error) {
	return &ledger.Capture{ResponseBody: []byte(strings.Replace(responsesCall, "read_file", "tool_"+id[len(id)-2:], 1))}, nil
}

// TestToolUseBounds checks the page reads no more than toolUseRequests
// requests, in pages, and says so.
func TestToolUseBounds(t *testing.T) {
	t.Parallel()
	st := newManyStore(toolUseRequests + 500)
	status, body := toolUseFixture(st).get(t, "alice", "/ui/tooluse")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	want(t, body, []string{"of the 2,500 requests in the last 7 days, the 2,000 most recent were read (the page reads at most 2,000 requests",
		`<span class="n">2,000</span><span class="l">tool calls</span>`, "and 2,000 of those had a capture"}, nil)
	if pages := (toolUseRequests + ledger.MaxLimit - 1) / ledger.MaxLimit; st.requests != pages {
		t.Errorf("%d Requests calls, want %d pages", st.requests, pages)
	}
	// A hundred tools (tool_00 … tool_99) of 20 calls each: the first
	// fifty by name are listed, the rest counted.
	want(t, body, []string{`<td><code>tool_00</code></td><td class="r">20</td>`, `<td><code>tool_49</code></td><td class="r">20</td>`,
		"and 50 more tools", `<span class="n">100</span><span class="l">tools</span>`}, []string{"<code>tool_50</code>"})
}

// TestToolUseByteBound checks the reading stops once the answers read
// pass Handler.ToolUseBytes, and the page says so.
func TestToolUseByteBound(t *testing.T) {
	t.Parallel()
	f := toolUseFixture(newManyStore(100))
	f.h.ToolUseBytes = 50 * int64(len(responsesCall))
	status, body := f.get(t, "alice", "/ui/tooluse")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	// The answer that passes the bound is the last one read.
	want(t, body, []string{"of the 100 requests in the last 7 days, the 51 most recent were read (the page reads at most 2,000 requests and 0 MB",
		`<span class="n">51</span><span class="l">tool calls</span>`}, nil)
}
