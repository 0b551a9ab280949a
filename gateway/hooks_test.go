package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/hooks"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/hooktest"
	"github.com/tsplug/ts-plug/internal/testbin"
)

// hooksConfig serves every API from one fake, screened by the guardrail
// "guard" and reported to the webhook "audit"; the guardrail's fail
// policy and the webhook's send fields are filled in.
const hooksConfig = `{
  "providers": {
    "anthropic": {"baseurl": %[1]q, "apikey": "k", "models": ["claude-sonnet-4-5", "claude-haiku-4-5"], "authorization": "x-api-key",
      "cost_basis": "anthropic", "compatibility": {"anthropic_messages": true}},
    "openai": {"baseurl": "%[1]s/v1", "apikey": "k", "models": ["gpt-4o", "gpt-4o-mini"], "cost_basis": "openai",
      "compatibility": {"openai_chat": true, "openai_responses": true}},
    "gemini": {"baseurl": %[1]q, "apikey": "k", "models": ["gemini-2.5-pro"], "authorization": "x-goog-api-key",
      "cost_basis": "gemini", "compatibility": {"gemini_generate_content": true}},
  },
  "hooks": {
    "guard": {"url": %[2]q, "apikey": "guard-key", "fail_policy": %[4]q, "timeout": "5s"},
    "audit": {"url": %[3]q, "apikey": "audit-key", "authorization": "x-api-key"},
  },
  "quotas": {"team": {"capacity": "$100", "rate": "$1/day"}},
  "grants": [{"src": ["*"], "app": {
    "tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**", "quotas": [{"bucket": "team"}]},
      {"send_hooks": [{"name": "guard", "events": ["pre_request"], "send": ["request_body", "user_message", "estimated_cost", "quotas", "grants"]},
                      {"name": "audit", "events": ["entire_request", "tool_call_entire_request"], "send": [%[5]s]}]}],
    "example.com/cap/team": [{"team": "blue"}]}}],
}`

type hooksFixture struct {
	fake   *fakellm.Server
	guard  *hooktest.Server
	audit  *hooktest.Server
	sink   *recordingSink
	base   string
	server *Server
}

func newHooksFixture(t *testing.T, decide func(hooks.Payload) (int, string), policy string, opts ...fakellm.Option) *hooksFixture {
	t.Helper()
	f := &hooksFixture{fake: fakellm.New(opts...)}
	f.guard = hooktest.New(t, decide)
	f.audit = hooktest.New(t, nil)
	up := httptest.NewServer(f.fake.Handler())
	t.Cleanup(up.Close)
	send := `"request_body", "user_message", "response_body", "raw_responses", "tools", "estimated_cost"`
	src := fmt.Sprintf(hooksConfig, up.URL, f.guard.URL, f.audit.URL, policy, send)
	cfg, diags, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err, diags)
	}
	qm, err := quotas.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.sink = &recordingSink{}
	gw, err := New(cfg, []byte(src), Options{Ledger: f.sink, Quotas: qm, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	f.server = gw
	front := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(front.Close)
	f.base = front.URL
	return f
}

// hookRequests is one request per API, with a user message to screen.
var hookRequests = []limitRequest{
	{"anthropic", "/v1/messages", func(stream bool) string {
		return fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":1000,"stream":%v,"messages":[{"role":"user","content":"my SSN is 078-05-1120"}]}`, stream)
	}},
	{"chat", "/v1/chat/completions", func(stream bool) string {
		return fmt.Sprintf(`{"model":"gpt-4o","max_tokens":1000,"stream":%v,"messages":[{"role":"user","content":"my SSN is 078-05-1120"}]}`, stream)
	}},
	{"responses", "/v1/responses", func(stream bool) string {
		return fmt.Sprintf(`{"model":"gpt-4o","max_output_tokens":1000,"stream":%v,"input":"my SSN is 078-05-1120"}`, stream)
	}},
	{"gemini", "/v1beta/models/gemini-2.5-pro:generateContent", func(bool) string {
		return `{"contents":[{"role":"user","parts":[{"text":"my SSN is 078-05-1120"}]}],"generationConfig":{"maxOutputTokens":1000}}`
	}},
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// A blocking guardrail: the client gets the guardrail's status and
// message in its API's envelope, the provider is never called, the ledger
// has a row, and the guardrail was sent what the grant asks for.
func TestGuardrailBlocks(t *testing.T) {
	f := newHooksFixture(t, hooktest.Block(451, "no SSNs, please"), "fail_open")
	envelopes := map[string]string{
		"anthropic": `"type":"invalid_request_error"`,
		"chat":      `"type":"guardrail_blocked"`,
		"responses": `"type":"guardrail_blocked"`,
		"gemini":    `"status":"PERMISSION_DENIED"`,
	}
	for _, rq := range hookRequests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", rq.name, stream), func(t *testing.T) {
				before := f.fake.RequestCount()
				res, body := post(t, rq.url(f.base, stream), rq.body(stream))
				if res.StatusCode != 451 || !strings.Contains(body, "no SSNs, please") || !strings.Contains(body, envelopes[rq.name]) {
					t.Fatalf("%d %s, want 451 with the guardrail's message in the %s envelope", res.StatusCode, body, rq.name)
				}
				if f.fake.RequestCount() != before {
					t.Error("the provider was called for a blocked request")
				}
				rec := f.sink.last()
				if rec == nil || rec.Status != 451 || !strings.Contains(rec.Error, "guard") {
					t.Errorf("ledger row %+v, want the block", rec)
				}
				c := f.guard.Calls()[len(f.guard.Calls())-1]
				p := c.Payload
				if p.Event != hooks.PreRequest || p.UserMessage == nil || *p.UserMessage != "my SSN is 078-05-1120" ||
					!strings.Contains(string(p.RequestBody), "078-05-1120") || p.Metadata.RequestID != rec.ID ||
					p.Metadata.EstimatedCost == nil || p.Metadata.EstimatedCost.Nanodollars <= 0 ||
					p.Metadata.Quotas["team"].Capacity != 100e9 || len(p.Metadata.Grants["example.com/cap/team"]) != 1 {
					t.Errorf("guardrail payload %s", c.Raw)
				}
				if c.Header.Get("Authorization") != "Bearer guard-key" {
					t.Errorf("guardrail credential %q", c.Header.Get("Authorization"))
				}
			})
		}
	}
}

// A modifying guardrail: the provider sees the new body, and what the
// gateway acts on (the model) is read from it.
func TestGuardrailModifies(t *testing.T) {
	scrub := hooktest.Modify(func(p hooks.Payload) string {
		return strings.ReplaceAll(string(p.RequestBody), "078-05-1120", "[SSN]")
	})
	f := newHooksFixture(t, scrub, "fail_closed")
	for _, rq := range hookRequests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", rq.name, stream), func(t *testing.T) {
				res, body := post(t, rq.url(f.base, stream), rq.body(stream))
				if res.StatusCode != 200 {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
				up, _ := f.fake.LastRequest()
				if strings.Contains(string(up.Body), "078-05-1120") || !strings.Contains(string(up.Body), "[SSN]") {
					t.Errorf("provider got %s, want the scrubbed body", up.Body)
				}
			})
		}
	}
	// A guardrail that changes the model: the request goes where the new
	// model is served, and the row says so.
	f = newHooksFixture(t, hooktest.Modify(func(p hooks.Payload) string {
		return strings.Replace(string(p.RequestBody), `"gpt-4o"`, `"gpt-4o-mini"`, 1)
	}), "fail_closed")
	res, body := post(t, f.base+"/v1/chat/completions", hookRequests[1].body(false))
	if up, _ := f.fake.LastRequest(); res.StatusCode != 200 || up.Model != "gpt-4o-mini" || f.sink.last().Model != "gpt-4o-mini" {
		t.Errorf("%d %s; provider saw model %q, row %q", res.StatusCode, body, up.Model, f.sink.last().Model)
	}
}

// A guardrail's body the gateway would refuse from a client is a failure
// of the guardrail: fail_closed refuses the request with 503.
func TestGuardrailBadModification(t *testing.T) {
	f := newHooksFixture(t, hooktest.Modify(func(hooks.Payload) string {
		return `{"model":"gpt-4o","model":"gpt-4o-mini","messages":[]}`
	}), "fail_closed")
	res, body := post(t, f.base+"/v1/chat/completions", hookRequests[1].body(false))
	if res.StatusCode != 503 || !strings.Contains(body, "guard") || f.fake.RequestCount() != 0 {
		t.Errorf("%d %s (provider called %d times), want 503 naming the guardrail", res.StatusCode, body, f.fake.RequestCount())
	}
}

// An unreachable guardrail follows its policy.
func TestGuardrailUnreachable(t *testing.T) {
	for _, policy := range []string{"fail_open", "fail_closed"} {
		t.Run(policy, func(t *testing.T) {
			f := newHooksFixture(t, hooktest.Allow, policy)
			cfg, src := f.server.Config()
			next := *cfg
			next.Hooks = map[string]*config.Hook{}
			for k, h := range cfg.Hooks {
				h2 := *h
				next.Hooks[k] = &h2
			}
			next.Hooks["guard"].URL = "http://127.0.0.1:1/"
			if err := f.server.SetConfig(&next, src); err != nil {
				t.Fatal(err)
			}
			res, body := post(t, f.base+"/v1/messages", hookRequests[0].body(false))
			want := 200
			if policy == "fail_closed" {
				want = 503
			}
			if res.StatusCode != want {
				t.Errorf("%d %s, want %d", res.StatusCode, body, want)
			}
		})
	}
}

// Webhooks hear of every answer, after it ended, with what they asked
// for: the response reassembled from a stream too.
func TestWebhooksReceiveAnswers(t *testing.T) {
	f := newHooksFixture(t, hooktest.Allow, "fail_open", fakellm.WithReply("hello from the fake"))
	for _, rq := range hookRequests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", rq.name, stream), func(t *testing.T) {
				res, body := post(t, rq.url(f.base, stream), rq.body(stream))
				if res.StatusCode != 200 {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
				rec := f.sink.last()
				c := f.audit.WaitFor(t, hooktest.ForRequest(rec.ID, hooks.EntireRequest))
				p := c.Payload
				if p.Event != hooks.EntireRequest || p.Metadata.RequestID != rec.ID || p.Metadata.StatusCode != 200 {
					t.Errorf("webhook payload metadata %+v, row %s", p.Metadata, rec.ID)
				}
				if !strings.Contains(string(p.ResponseBody), "hello from the fake") || len(p.RawResponses) == 0 {
					t.Errorf("webhook response_body %s, %d raw responses", p.ResponseBody, len(p.RawResponses))
				}
				if p.Metadata.EstimatedCost == nil || p.Metadata.EstimatedCost.Nanodollars != rec.CostNanos {
					t.Errorf("webhook estimated_cost %+v, row cost %d", p.Metadata.EstimatedCost, rec.CostNanos)
				}
				if c.Header.Get("X-Api-Key") != "audit-key" {
					t.Errorf("webhook credential %q", c.Header.Get("X-Api-Key"))
				}
				if stream {
					var v map[string]any
					if json.Unmarshal(p.ResponseBody, &v) != nil {
						t.Errorf("reassembled response is not a JSON object: %s", p.ResponseBody)
					}
				}
			})
		}
	}
	// No tool calls: tool_call_entire_request was not called.
	for _, c := range f.audit.Calls() {
		if c.Payload.Event == hooks.ToolCallEntireRequest {
			t.Errorf("tool_call_entire_request sent for an answer without tool calls: %s", c.Raw)
		}
	}
}

// The Settings page's view of hooks: each hook, the events the config
// wires it to and what its calls did.
func TestHookViewsShowCalls(t *testing.T) {
	f := newHooksFixture(t, hooktest.Block(451, "no"), "fail_open")
	post(t, f.base+"/v1/messages", hookRequests[0].body(false))
	views := uiSource{f.server}.Config().Hooks
	if len(views) != 2 || views[0].Name != "audit" || views[1].Name != "guard" {
		t.Fatalf("hook views %+v, want audit and guard", views)
	}
	g := views[1]
	if !slices.Equal(g.Events, []string{"pre_request"}) || g.Stats.Calls != 1 || g.Stats.Outcomes[hooks.OutcomeBlock] != 1 ||
		len(g.Stats.Recent) != 1 || g.Stats.Recent[0].Outcome != hooks.OutcomeBlock {
		t.Errorf("guard view %+v", g)
	}
	if got := maskURL("https://u:hunter2@hooks.example/x"); strings.Contains(got, "hunter2") || !strings.Contains(got, "hooks.example/x") {
		t.Errorf("maskURL = %q", got)
	}
}

// tool_call_entire_request webhooks hear of answers that asked for tool
// calls, with each call's name and parsed arguments, for all four APIs,
// streamed or not.
func TestWebhooksReceiveToolCalls(t *testing.T) {
	f := newHooksFixture(t, hooktest.Allow, "fail_open", fakellm.WithToolCall("get_weather", `{"city":"Paris","days":3}`))
	for _, rq := range hookRequests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", rq.name, stream), func(t *testing.T) {
				res, body := post(t, rq.url(f.base, stream), rq.body(stream))
				if res.StatusCode != 200 {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
				rec := f.sink.last()
				c := f.audit.WaitFor(t, hooktest.ForRequest(rec.ID, hooks.ToolCallEntireRequest))
				calls := c.Payload.ToolCalls
				if len(calls) != 1 || calls[0].Name != "get_weather" {
					t.Fatalf("tool calls %s", c.Raw)
				}
				var args map[string]any
				if err := json.Unmarshal(calls[0].Params, &args); err != nil || args["city"] != "Paris" || args["days"] != float64(3) {
					t.Errorf("params %s (%v), want the parsed arguments", calls[0].Params, err)
				}
			})
		}
	}
}

// A webhook hears of an answer the provider broke off too, with its cost,
// though the caller's connection was dropped once the row was written.
func TestWebhooksReceiveBrokenAnswers(t *testing.T) {
	f := newHooksFixture(t, hooktest.Allow, "fail_open", fakellm.WithReply("hello from the fake"))
	rq := hookRequests[1] // chat
	for _, stream := range []bool{false, true} {
		f.fake.FailNext(1, fakellm.Failure{Cut: true, AfterEvents: 2})
		if res, err := http.Post(rq.url(f.base, stream), "application/json", strings.NewReader(rq.body(stream))); err == nil {
			io.ReadAll(res.Body)
			res.Body.Close()
		}
		var rec *ledger.Record
		testbin.WaitUntil(t, 5*time.Second, func() error {
			if rec = f.sink.last(); rec == nil || !strings.Contains(rec.Error, "broke off its answer") {
				return fmt.Errorf("no row of the broken answer: %+v", rec)
			}
			return nil
		})
		c := f.audit.WaitFor(t, hooktest.ForRequest(rec.ID, hooks.EntireRequest))
		if cost := c.Payload.Metadata.EstimatedCost; cost == nil || cost.Nanodollars != rec.CostNanos {
			t.Errorf("stream=%v: webhook estimated_cost %+v, row cost %d", stream, cost, rec.CostNanos)
		}
	}
}
