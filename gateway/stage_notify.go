package gateway

import (
	"encoding/json"

	"github.com/tsplug/ts-plug/gateway/answers"
	"github.com/tsplug/ts-plug/gateway/hooks"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// webhooks are the entire_request and tool_call_entire_request hooks the
// caller's grants wire to the request's model.
type webhooks struct {
	entire, toolCalls []hooks.Bound
}

// any reports whether some webhook is to be told of the answer.
func (wh webhooks) any() bool { return len(wh.entire)+len(wh.toolCalls) > 0 }

// needsAnswer reports whether a webhook needs the answer's bytes: one that
// asks for them, or one told only of answers with tool calls.
func (wh webhooks) needsAnswer() bool {
	if len(wh.toolCalls) > 0 {
		return true
	}
	for _, b := range wh.entire {
		for _, f := range []string{hooks.SendResponseBody, hooks.SendRawResponses, hooks.SendTools} {
			if hooks.Wants(b.Send, f) {
				return true
			}
		}
	}
	return false
}

// webhooksFor finds the request's webhooks.
func (x *exchange) webhooksFor() webhooks {
	cfg := x.c.cfg()
	if len(cfg.Hooks) == 0 {
		return webhooks{}
	}
	refs := x.c.access.ForModel(x.rt.FQN).Hooks
	return webhooks{
		entire:    hooks.Chain(cfg.Hooks, refs, hooks.EntireRequest),
		toolCalls: hooks.Chain(cfg.Hooks, refs, hooks.ToolCallEntireRequest),
	}
}

// notify queues the answer's webhooks, after it has ended and its row is
// recorded: they never delay it. answer is what the caller was sent
// (within ledger.MaxCaptureBytes), nil when no webhook needs it. The payloads
// are built by the hook workers, from what is copied here.
func (x *exchange) notify(wh webhooks, rec *ledger.Record, answer []byte) {
	if !wh.any() {
		return
	}
	md := x.hookMetadata(unionSend(wh))
	md.StatusCode = rec.Status
	var cost *hooks.CostEstimate
	if rec.CostKnown {
		cost = hooks.NewCostEstimate(rec.CostNanos, x.h.basis)
	}
	api, body := x.api, x.body
	build := func(ev hooks.Event) func(send []string) ([]byte, error) {
		return func(send []string) ([]byte, error) {
			var calls []answers.ToolCall
			if ev == hooks.ToolCallEntireRequest || hooks.Wants(send, hooks.SendTools) {
				calls = answers.ToolCalls(api, answer)
				if ev == hooks.ToolCallEntireRequest && len(calls) == 0 {
					return nil, hooks.ErrSkip
				}
			}
			p := hooks.Payload{Event: ev, Metadata: md}
			p.Metadata.Grants, p.Metadata.Quotas, p.Metadata.EstimatedCost = nil, nil, nil
			if hooks.Wants(send, hooks.SendGrants) {
				p.Metadata.Grants = md.Grants
			}
			if hooks.Wants(send, hooks.SendQuotas) {
				p.Metadata.Quotas = md.Quotas
			}
			if hooks.Wants(send, hooks.SendEstimatedCost) {
				p.Metadata.EstimatedCost = cost
			}
			if hooks.Wants(send, hooks.SendRequestBody) {
				p.RequestBody = hooks.JSONOrString(body)
			}
			if hooks.Wants(send, hooks.SendUserMessage) {
				m := answers.UserMessage(api, body)
				p.UserMessage = &m
			}
			if hooks.Wants(send, hooks.SendResponseBody) {
				p.ResponseBody = answers.Reassemble(api, answer)
			}
			if hooks.Wants(send, hooks.SendRawResponses) {
				p.RawResponses = answers.RawResponses(api, answer)
			}
			if hooks.Wants(send, hooks.SendTools) {
				p.ToolCalls = toolCallsOf(calls)
			}
			return json.Marshal(p)
		}
	}
	size := int64(len(body) + len(answer))
	for ev, chain := range map[hooks.Event][]hooks.Bound{hooks.EntireRequest: wh.entire, hooks.ToolCallEntireRequest: wh.toolCalls} {
		if len(chain) > 0 {
			x.s.hooks.Notify(&hooks.Notification{Event: ev, Hooks: chain, Size: size, Build: build(ev)})
		}
	}
}

// unionSend is every send field some webhook asks for, so the metadata
// is gathered once.
func unionSend(wh webhooks) []string {
	var out []string
	for _, b := range append(append([]hooks.Bound(nil), wh.entire...), wh.toolCalls...) {
		for _, f := range b.Send {
			if !hooks.Wants(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// toolCallsOf converts tool calls to the payload's form.
func toolCallsOf(calls []answers.ToolCall) []hooks.ToolCall {
	out := make([]hooks.ToolCall, 0, len(calls))
	for _, c := range calls {
		out = append(out, hooks.ToolCall{ID: c.ID, Name: c.Name, Params: c.Params})
	}
	return out
}
