package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tsplug/ts-plug/gateway/hooks"
	"github.com/tsplug/ts-plug/internal/hooktest"
	"google.golang.org/genai"
)

// hooksTop defines the guardrail "guard" and the webhook "audit". The
// guardrail is fail_closed so that its going away is a case of its own;
// while it answers, the policy changes nothing.
const hooksTop = `"hooks": {
    "guard": {"url": %[1]q, "apikey": "guard-key", "fail_policy": "fail_closed", "timeout": "10s"},
    "audit": {"url": %[2]q, "apikey": "audit-key"},
  },`

// hooksGrant wires both hooks to everyone's requests from the config
// file, as a floating capability (no models). Roles and models come from
// the tailnet policy (grantEveryone), so the hooks only fire if the
// gateway unites what the two sources grant.
const hooksGrant = `{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"send_hooks": [
      {"name": "guard", "events": ["pre_request"], "send": ["request_body", "user_message"]},
      {"name": "audit", "events": ["entire_request", "tool_call_entire_request"],
       "send": ["user_message", "response_body", "raw_responses", "tools"]}]}]}},`

// hookSDK is one API as its official SDK drives it.
type hookSDK struct {
	name  string
	model string
	// ask sends prompt as the user message and returns the answer text.
	ask func(ctx context.Context, prompt string, stream bool) (string, error)
	// status is the HTTP status and message of err as the SDK's own
	// error type reports them; ok is false for any other error.
	status func(err error) (code int, msg string, ok bool)
}

// hookSDKs are the four APIs through ts-unplug at base, each client with
// retries off so that an error status reaches the test as the gateway
// sent it, once.
func hookSDKs(t *testing.T, ctx context.Context, base string) []hookSDK {
	oai := openai.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey("CLIENT-SECRET"), option.WithMaxRetries(0))
	ant := anthropic.NewClient(aoption.WithBaseURL(base+"/"), aoption.WithAPIKey("CLIENT-SECRET"), aoption.WithMaxRetries(0))
	gem, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "CLIENT-SECRET", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: base + "/", RetryOptions: &genai.HTTPRetryOptions{Attempts: genai.Ptr[int32](1)}}})
	if err != nil {
		t.Fatal(err)
	}
	openaiStatus := func(err error) (int, string, bool) {
		var e *openai.Error
		if !errors.As(err, &e) {
			return 0, "", false
		}
		return e.StatusCode, e.Message, true
	}
	return []hookSDK{
		{name: "openai chat", model: "gpt-4o", status: openaiStatus,
			ask: func(ctx context.Context, prompt string, stream bool) (string, error) {
				params := openai.ChatCompletionNewParams{Model: "gpt-4o",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)}}
				if !stream {
					resp, err := oai.Chat.Completions.New(ctx, params)
					if err != nil {
						return "", err
					}
					if len(resp.Choices) == 0 {
						return "", errors.New("no choices")
					}
					return resp.Choices[0].Message.Content, nil
				}
				s := oai.Chat.Completions.NewStreaming(ctx, params)
				var acc openai.ChatCompletionAccumulator
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil {
					return "", err
				}
				if len(acc.Choices) == 0 {
					return "", errors.New("no choices")
				}
				return acc.Choices[0].Message.Content, nil
			}},
		{name: "openai responses", model: "gpt-4o", status: openaiStatus,
			ask: func(ctx context.Context, prompt string, stream bool) (string, error) {
				params := responses.ResponseNewParams{Model: "gpt-4o",
					Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(prompt)}}
				if !stream {
					resp, err := oai.Responses.New(ctx, params)
					if err != nil {
						return "", err
					}
					return resp.OutputText(), nil
				}
				s := oai.Responses.NewStreaming(ctx, params)
				text := ""
				for s.Next() {
					if ev := s.Current(); ev.Type == "response.output_text.delta" {
						text += ev.Delta
					}
				}
				return text, s.Err()
			}},
		{name: "anthropic messages", model: "claude-haiku-4-5-20251001",
			status: func(err error) (int, string, bool) {
				var e *anthropic.Error
				if !errors.As(err, &e) {
					return 0, "", false
				}
				return e.StatusCode, e.Message, true
			},
			ask: func(ctx context.Context, prompt string, stream bool) (string, error) {
				params := anthropic.MessageNewParams{Model: "claude-haiku-4-5-20251001", MaxTokens: 100,
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))}}
				var msg anthropic.Message
				if !stream {
					m, err := ant.Messages.New(ctx, params)
					if err != nil {
						return "", err
					}
					msg = *m
				} else {
					s := ant.Messages.NewStreaming(ctx, params)
					for s.Next() {
						if err := msg.Accumulate(s.Current()); err != nil {
							return "", err
						}
					}
					if err := s.Err(); err != nil {
						return "", err
					}
				}
				text := ""
				for _, b := range msg.Content {
					text += b.Text
				}
				return text, nil
			}},
		{name: "gemini", model: "gemini-2.5-flash",
			status: func(err error) (int, string, bool) {
				var e genai.APIError
				if !errors.As(err, &e) {
					return 0, "", false
				}
				return e.Code, e.Message, true
			},
			ask: func(ctx context.Context, prompt string, stream bool) (string, error) {
				if !stream {
					resp, err := gem.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
					if err != nil {
						return "", err
					}
					return resp.Text(), nil
				}
				text := ""
				for chunk, err := range gem.Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text(prompt), nil) {
					if err != nil {
						return "", err
					}
					text += chunk.Text()
				}
				return text, nil
			}},
	}
}

// hookVariant is one API, streamed or not; tag names it in prompts, so
// that every request's user message is unique and a webhook call can be
// matched to the request it is about (the SDK never sees the request id).
type hookVariant struct {
	hookSDK
	stream bool
	tag    string
}

// forPrompt matches the calls of event ev about the request whose user
// message was prompt.
func forPrompt(ev hooks.Event, prompt string) func(hooktest.Call) bool {
	return func(c hooktest.Call) bool {
		return c.Payload.Event == ev && c.Payload.UserMessage != nil && *c.Payload.UserMessage == prompt
	}
}

// The bar: a guardrail and a webhook receiver written for the
// tests block, modify and receive payloads for all four APIs, streamed
// and not, through ts-unplug with the official SDKs. One gateway and one
// ts-unplug serve every case; the guardrail's decision is switched
// between them.
func TestHooksThroughUnplugWithSDKs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	guard := hooktest.New(t, hooktest.Allow)
	audit := hooktest.New(t, nil)
	e := startGatewayWith(t, ctx, fmt.Sprintf(hooksTop, guard.URL, audit.URL), hooksGrant)
	e.grantEveryone(t, ctx)

	// The tailnet user of ts-unplug's device, whom the hooks must name.
	var who struct {
		LoginName string `json:"login_name"`
	}
	res, err := http.Get(e.base + "/api/whoami")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&who)
	res.Body.Close()
	if who.LoginName == "" {
		t.Fatal("whoami names no user")
	}

	var variants []hookVariant
	for _, sdk := range hookSDKs(t, ctx, e.base) {
		for _, stream := range []bool{false, true} {
			mode := "plain"
			if stream {
				mode = "stream"
			}
			variants = append(variants, hookVariant{sdk, stream, strings.ReplaceAll(sdk.name, " ", "-") + "-" + mode})
		}
	}
	run := func(t *testing.T, f func(t *testing.T, v hookVariant)) {
		for _, v := range variants {
			t.Run(v.tag, func(t *testing.T) { f(t, v) })
		}
	}

	// A block: the SDK's error carries the guardrail's status and
	// message, and the provider never hears of the request.
	t.Run("block", func(t *testing.T) {
		const reason = "no secrets past this guardrail"
		guard.SetDecide(hooktest.Block(451, reason))
		run(t, func(t *testing.T, v hookVariant) {
			before := e.fake.RequestCount()
			prompt := "respond with: blocked-" + v.tag
			_, err := v.ask(ctx, prompt, v.stream)
			if code, msg, ok := v.status(err); !ok || code != 451 || !strings.Contains(msg, reason) {
				t.Errorf("got %v (status %d, message %q), want the SDK's error with 451 and %q", err, code, msg, reason)
			}
			if n := e.fake.RequestCount(); n != before {
				t.Errorf("the provider got %d requests for a blocked one", n-before)
			}
			// The guardrail decided on this very prompt, and was sent
			// its credential.
			c := guard.WaitFor(t, forPrompt(hooks.PreRequest, prompt))
			if c.Payload.Metadata.LoginName != who.LoginName || !c.Contains("blocked-"+v.tag) {
				t.Errorf("guardrail payload %s, want %s's request body", c.Raw, who.LoginName)
			}
			if got := c.Header.Get("Authorization"); got != "Bearer guard-key" {
				t.Errorf("guardrail credential %q", got)
			}
		})
	})

	// A modification: the provider gets the scrubbed body, the SDK its
	// answer, and the webhook hears of what was sent, not what was asked.
	t.Run("modify", func(t *testing.T) {
		guard.SetDecide(hooktest.Modify(func(p hooks.Payload) string {
			return strings.ReplaceAll(string(p.RequestBody), "hunter2", "[redacted]")
		}))
		run(t, func(t *testing.T, v hookVariant) {
			prompt := "my password is hunter2\nrespond with: scrubbed-" + v.tag
			text, err := v.ask(ctx, prompt, v.stream)
			if err != nil || text != "scrubbed-"+v.tag {
				t.Fatalf("answer %q, %v", text, err)
			}
			up, ok := e.fake.LastRequest()
			if !ok || !strings.Contains(string(up.Body), "scrubbed-"+v.tag) {
				t.Fatalf("the provider's last request is not this one: %s", up.Body)
			}
			if strings.Contains(string(up.Body), "hunter2") || !strings.Contains(string(up.Body), "[redacted]") {
				t.Errorf("provider got %s, want the guardrail's body", up.Body)
			}
			sent := strings.ReplaceAll(prompt, "hunter2", "[redacted]")
			audit.WaitFor(t, forPrompt(hooks.EntireRequest, sent))
		})
	})

	// Webhooks: the answer, reassembled from a stream too, with the raw
	// events, for the tailnet user of ts-unplug's device.
	t.Run("webhook", func(t *testing.T) {
		guard.SetDecide(hooktest.Allow)
		run(t, func(t *testing.T, v hookVariant) {
			prompt := "respond with: answer-" + v.tag
			text, err := v.ask(ctx, prompt, v.stream)
			if err != nil || text != "answer-"+v.tag {
				t.Fatalf("answer %q, %v", text, err)
			}
			c := audit.WaitFor(t, forPrompt(hooks.EntireRequest, prompt))
			p := c.Payload
			if p.Metadata.LoginName != who.LoginName || p.Metadata.Model != v.model || !strings.HasPrefix(p.Metadata.NodeName, "laptop.") {
				t.Errorf("webhook metadata %+v, want %s on laptop asking %s", p.Metadata, who.LoginName, v.model)
			}
			var answer map[string]any
			if json.Unmarshal(p.ResponseBody, &answer) != nil || !strings.Contains(string(p.ResponseBody), "answer-"+v.tag) {
				t.Errorf("response_body %s, want one JSON answer holding the text", p.ResponseBody)
			}
			if len(p.RawResponses) == 0 || v.stream && len(p.RawResponses) < 2 {
				t.Errorf("%d raw responses, want the answer's events", len(p.RawResponses))
			}
			if got := c.Header.Get("Authorization"); got != "Bearer audit-key" {
				t.Errorf("webhook credential %q", got)
			}
		})
		// None of these answers called a tool.
		for _, c := range audit.Calls() {
			if c.Payload.Event == hooks.ToolCallEntireRequest {
				t.Errorf("tool_call_entire_request for an answer without tool calls: %s", c.Raw)
			}
		}
	})

	// An answer that calls a tool: tool_call_entire_request hears of the
	// call, its arguments as an object, in every API's format. The
	// prompt's "call tool:" line makes the fake ask for it.
	t.Run("tool call", func(t *testing.T) {
		run(t, func(t *testing.T, v hookVariant) {
			prompt := "weather for " + v.tag + "\ncall tool: get_weather {\"city\": \"Paris\", \"days\": 2}"
			if _, err := v.ask(ctx, prompt, v.stream); err != nil {
				t.Fatal(err)
			}
			c := audit.WaitFor(t, forPrompt(hooks.ToolCallEntireRequest, prompt))
			calls := c.Payload.ToolCalls
			var params struct {
				City string
				Days int
			}
			if len(calls) != 1 || calls[0].Name != "get_weather" ||
				json.Unmarshal(calls[0].Params, &params) != nil || params.City != "Paris" || params.Days != 2 {
				t.Errorf("tool_calls %s, want get_weather with its arguments", c.Raw)
			}
		})
	})

	// Last, as it takes the guardrail away: fail_closed refuses what it
	// cannot screen with a 503 the SDK reports as such.
	t.Run("fail closed", func(t *testing.T) {
		guard.Close()
		run(t, func(t *testing.T, v hookVariant) {
			before := e.fake.RequestCount()
			_, err := v.ask(ctx, "respond with: unscreened-"+v.tag, v.stream)
			if code, msg, ok := v.status(err); !ok || code != 503 || !strings.Contains(msg, "guard") {
				t.Errorf("got %v (status %d, message %q), want the SDK's error with 503 naming the guardrail", err, code, msg)
			}
			if n := e.fake.RequestCount(); n != before {
				t.Errorf("the provider got %d requests the guardrail never screened", n-before)
			}
		})
	})
}
