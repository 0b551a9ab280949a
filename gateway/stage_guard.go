package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tsplug/ts-plug/gateway/answers"
	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/hooks"
	"github.com/tsplug/ts-plug/gateway/quotas"
)

// guard runs the pre_request guardrails the caller's grants wire to the
// model, in order, before anything is held or sent: each may allow,
// block (the caller gets the guardrail's status and message in its API's
// envelope, and the ledger a row) or modify the body, which is then read
// again (and the provider chosen again if the model changed), so every
// later stage acts on what is sent.
func (x *exchange) guard() bool {
	cfg := x.c.cfg()
	if len(cfg.Hooks) == 0 || len(x.body) == 0 {
		return true
	}
	x.scope = x.c.access.ForModel(x.rt.FQN)
	chain := hooks.Chain(cfg.Hooks, x.scope.Hooks, hooks.PreRequest)
	if len(chain) == 0 {
		return true
	}
	v := x.s.hooks.Guard(x.r.Context(), chain, x.body, x.guardrailPayload, x.checkModified)
	if v.Blocked {
		return x.blocked(v)
	}
	if v.Body == nil {
		return true
	}
	return x.modified(v)
}

// guardrailPayload is what guardrail b is sent of the request, with body
// as it stands after the guardrails before it.
func (x *exchange) guardrailPayload(b hooks.Bound, body []byte) ([]byte, error) {
	p := hooks.Payload{Event: hooks.PreRequest, Metadata: x.hookMetadata(b.Send)}
	if hooks.Wants(b.Send, hooks.SendRequestBody) {
		p.RequestBody = hooks.JSONOrString(body)
	}
	if hooks.Wants(b.Send, hooks.SendUserMessage) {
		m := answers.UserMessage(x.api, body)
		p.UserMessage = &m
	}
	if hooks.Wants(b.Send, hooks.SendEstimatedCost) {
		// What the request may cost at most: what a bucket would hold.
		if h, plan := x.s.planHold(x.r.Context(), x.c, x.api, x.rt, body, x.info); h.priced {
			p.Metadata.EstimatedCost = hooks.NewCostEstimate(plan.want, h.basis)
		}
	}
	return json.Marshal(p)
}

// hookMetadata says who makes the request and where it goes, with the
// optional members send asks for.
func (x *exchange) hookMetadata(send []string) hooks.Metadata {
	c := x.c
	md := hooks.Metadata{
		LoginName: c.id.LoginName, NodeName: c.id.NodeName, StableNodeID: c.id.StableNodeID, LocalUser: x.localUser,
		Tags: c.id.Tags, TailnetName: tailnetOf(c.id.NodeName),
		UserAgent: x.r.UserAgent(), URL: x.r.URL.Path,
		Model: x.rt.Model, Provider: x.rt.ProviderID,
		RequestID: x.requestID(), SessionID: x.sessionID(),
	}
	if hooks.Wants(send, hooks.SendGrants) {
		md.Grants = c.access.CustomCaps()
	}
	if hooks.Wants(send, hooks.SendQuotas) && x.s.opts.Quotas != nil && len(x.scope.Buckets) > 0 {
		md.Quotas = map[string]hooks.QuotaState{}
		for _, b := range x.s.opts.Quotas.Lookup(quotas.Refs(x.scope.Buckets, x.scope.BucketDefs)) {
			md.Quotas[b.Bucket] = hooks.QuotaState{Current: b.BalanceNanos, Capacity: b.CapacityNanos, Rate: b.Rate}
		}
	}
	return md
}

// tailnetOf is the tailnet part of a device's name
// ("laptop.example.ts.net" → "example.ts.net").
func tailnetOf(node string) string {
	_, rest, ok := strings.Cut(node, ".")
	if !ok {
		return ""
	}
	return rest
}

// checkModified refuses a guardrail's body the gateway could not act on,
// for the same reasons it refuses a caller's (scanBody).
func (x *exchange) checkModified(body []byte) error {
	if int64(len(body)) > x.s.opts.MaxBodyBytes {
		return fmt.Errorf("it is larger than the gateway's %d MiB body limit", x.s.opts.MaxBodyBytes>>20)
	}
	if !x.route.ModelInBody() {
		_, err := apis.ScanBody(body)
		if err != nil && !errors.Is(err, apis.ErrNoModel) {
			return err
		}
		return nil
	}
	info, err := apis.ScanBody(body)
	switch {
	case err != nil:
		return err
	case info.Fallbacks != "":
		return fmt.Errorf("%q lists fallback models", info.Fallbacks)
	case !info.HasModel || info.Model == "" || !info.ModelIsString:
		return errors.New(`it has no "model" string`)
	}
	return nil
}

// blocked answers a request a guardrail blocked, or that could not be
// screened by a fail_closed one, and records it.
func (x *exchange) blocked(v hooks.Verdict) bool {
	if v.Status == 499 {
		return false // the caller has gone; nothing to answer
	}
	kind, msg := apis.KindGuardrailBlocked, v.Message
	if v.FailedClosed {
		// v.Message has the hook call's error, which can name its URL
		// and address: the hook runner logged it; the caller, and the
		// ledger row the caller may read, get the gist.
		kind = apis.KindUnavailable
		msg = fmt.Sprintf("guardrail %q could not screen this request; it is fail_closed, so the request was not sent "+
			"(request %s; the gateway's log has the details)", v.Hook, x.requestID())
	}
	apis.WriteError(x.w, x.api, v.Status, kind, msg)
	rec := x.newRecord()
	rec.Status = v.Status
	rec.Error = fmt.Sprintf("blocked by guardrail %s: %s", v.Hook, msg)
	if v.FailedClosed {
		rec.Error = msg
	}
	x.s.finish(x.c, rec, x.start)
	return false
}

// modified takes a guardrail's body as the request: read again, and the
// provider chosen again.
func (x *exchange) modified(v hooks.Verdict) bool {
	x.body = v.Body
	info, ok := x.scanBody()
	if !ok {
		return false // checkModified let through what scanBody refuses
	}
	x.info = info
	if !x.route.ModelInBody() {
		return true
	}
	// Chosen again, whether or not the model changed: the new body may
	// continue a stored response, whose owner choose checks.
	x.model, x.stream = info.Model, info.Stream || x.route.Stream
	if !x.choose() {
		return false
	}
	x.scope = x.c.access.ForModel(x.rt.FQN)
	return true
}
