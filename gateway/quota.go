package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/modelinfo"
	"github.com/tsplug/ts-plug/gateway/pricing"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/routing"
)

// OutputLimitHeader tells the client that the gateway lowered (or set) the
// request's output-token limit to what its quota could hold, and to what.
const OutputLimitHeader = "Aperture-Output-Limit"

// hold is the money a request holds in its quota buckets, and what it
// covers.
type hold struct {
	res *quotas.Reservation // nil: no bucket applies
	// edits lower (or set) the body's output limit to what res covers.
	edits []apis.Edit
	// lowered is the output limit the gateway set, 0 if it set none.
	lowered int64
	// bounded reports that the provider cannot produce more than res
	// pays for: the body sets an output limit (the client's or the
	// gateway's) that res covers in full. A stream that is not bounded is
	// metered as it passes and draws more as it grows (streamBudget).
	bounded bool
	price   pricing.Price
	basis   string // the price's cost basis, "<basis>/<model priced as>"
	priced  bool   // price has input and output prices
	input   int64  // estimated input tokens, context included
	context int64  // of which the stored response or conversation continued
	fees    int64  // per-call fees the request may run up (searches)
	output  int64  // output tokens per choice res covers
	choices int64
	step    int64 // output tokens a stream draws at a time
}

// reserve holds the request's cost in every quota bucket that applies, or
// answers 429 and returns ok=false.
//
// The bound: a request holds what it may cost: its input (estimated from
// the body size, plus the stored conversation it continues), its output
// at the limit it sets, or when it sets none at the model's own maximum
// (modelinfo), times the choices it asks for, and the fees of the
// server-side searches it allows. When a bucket cannot pay that much, the
// request takes half of what the poorest bucket has left (at least enough
// for quotas.MinHeldOutputTokens) and its output limit is lowered, or set, to
// what it holds, so the provider cannot make it cost more, and other
// requests still fit beside it (quotas.Manager.ReserveRange). Only a
// request to a model whose maximum is unknown, setting no limit, holds
// reserve_output_tokens of output; if streamed, it is metered as it
// passes, draws more, and is ended in its API's format when the bucket
// cannot pay (streamBudget).
func (s *Server) reserve(w http.ResponseWriter, r *http.Request, c *caller, api config.API, rt routing.Route, scope grants.Scope, body []byte, info apis.BodyInfo) (hold, bool) {
	if s.opts.Quotas == nil || len(scope.Buckets) == 0 {
		return hold{choices: max(info.Choices, 1), bounded: true}, true
	}
	refs := quotas.Refs(scope.Buckets, scope.BucketDefs)
	h, p := s.planHold(r.Context(), c, api, rt, body, info)
	limit, bounded, want, least, reserveOut := p.limit, p.bounded, p.want, p.least, p.reserveOut
	if !h.priced {
		// A model without a price would be free against the bucket:
		// refused while one applies, until an admin prices it.
		apis.WriteError(w, api, http.StatusForbidden, apis.KindPermissionDenied, fmt.Sprintf(
			"model %s has no price, so its cost cannot be charged to your spending limit (%s); "+
				"an admin can price it in providers.%s.pricing, or give the provider a fallback price under \"*\"",
			rt.FQN, strings.Join(scope.Buckets, ", "), rt.ProviderID))
		return hold{}, false
	}
	res, err := s.opts.Quotas.ReserveRange(refs, want, least)
	if err != nil {
		s.refuseQuota(w, r, c, api, rt, err)
		return hold{}, false
	}
	h.res, h.output, h.bounded, h.step = res, limit, bounded, max(reserveOut, quotas.MinHeldOutputTokens)
	if res.Amount() < want {
		h.output = h.affordable(res.Amount(), limit)
		h.edits = apis.OutputLimitEdits(body, info, outputLimitKey(api, rt.Provider), h.output)
		h.lowered, h.bounded = h.output, true
	}
	return h, true
}

// holdPlan is what a request may cost, before any bucket is asked.
type holdPlan struct {
	limit      int64 // output tokens per choice the request may produce
	bounded    bool  // limit binds the provider (set, or the model's maximum)
	want       int64 // nanodollars: the whole bound
	least      int64 // nanodollars: the least the request is admitted with
	reserveOut int64 // reserve_output_tokens
}

// planHold works out the bound reserve holds (see reserve): the price,
// the estimated input and the output the request may produce. Hook
// payloads report want as the request's estimated_cost.
func (s *Server) planHold(ctx context.Context, c *caller, api config.API, rt routing.Route, body []byte, info apis.BodyInfo) (hold, holdPlan) {
	h := hold{choices: max(info.Choices, 1)}
	p := holdPlan{reserveOut: int64(c.cfg().ReserveOutputTokens)}
	modelMax, known := modelinfo.MaxOutputTokens(rt.Model)
	p.limit, p.bounded = quotas.OutputBound(info.OutputLimit, modelMax, known, p.reserveOut)
	if q, ok := c.rc.prices.Resolve(rt.ProviderID, rt.Model); ok {
		h.price, h.basis = q.Price, q.Basis
		h.context = s.contextTokens(ctx, api, info)
		h.input = quotas.EstimateInputTokens(len(body)) + h.context
		h.fees = searchFees(body, info, q.Price)
		p.want, p.least, h.priced = h.estimate().Range(p.limit)
	}
	return h, p
}

// estimate is the request's cost as a function of its output limit.
func (h *hold) estimate() quotas.Cost {
	return quotas.Cost{Input: h.input, Choices: h.choices, Price: h.price, Fees: h.fees}
}

// contextTokens is the input a request carries beyond its body: the
// stored response or conversation it continues, which the provider adds.
func (s *Server) contextTokens(ctx context.Context, api config.API, info apis.BodyInfo) int64 {
	var n int64
	// Only the Responses API continues a stored response; the member in
	// another API's body is the caller's, which no provider reads.
	if api == config.OpenAIResponses && info.PreviousResponseID != "" {
		n += s.responseContext(ctx, info.PreviousResponseID)
	}
	if info.Conversation {
		n += unknownContextTokens
	}
	return n
}

// searchFees is what the server-side searches a request allows may cost,
// billed per call beside its tokens.
func searchFees(body []byte, info apis.BodyInfo, p pricing.Price) int64 {
	web, file := apis.Searches(body, info, apis.DefaultSearchesPerTool)
	per := func(n, per1k int64) int64 { return quotas.SatMul(n, per1k) / 1000 }
	return quotas.SatAdd(per(web, p.WebSearchPer1k), per(file, p.FileSearchPer1k))
}

// affordable is the largest output limit, at most limit, whose cost is
// within amount.
func (h *hold) affordable(amount, limit int64) int64 { return h.estimate().Affordable(amount, limit) }

// outputLimitKey is the member that sets the output limit in a request of
// api to provider, for a body that has none. OpenAI's own API wants
// max_completion_tokens (its reasoning models refuse max_tokens), while
// OpenAI-compatible servers all read max_tokens.
func outputLimitKey(api config.API, p *config.Provider) string {
	switch api {
	case config.OpenAIResponses:
		return "max_output_tokens"
	case config.GeminiGenerateContent:
		return "maxOutputTokens"
	case config.OpenAIChat:
		if u, err := url.Parse(p.BaseURL); err == nil && u.Hostname() == "api.openai.com" {
			return "max_completion_tokens"
		}
	}
	return "max_tokens"
}

// refuseQuota answers a refused reservation; a failure other than an
// exceeded bucket is internal (publicError), except a shared quota
// database that cannot be reached: that is a 503 the caller may retry,
// with the database's error only in the log.
func (s *Server) refuseQuota(w http.ResponseWriter, r *http.Request, c *caller, api config.API, rt routing.Route, err error) {
	var ex *quotas.ExceededError
	if errors.Is(err, quotas.ErrUnavailable) {
		// SDKs retry a 503 by themselves; the database may be back soon.
		id := s.logInternal(r, "", fmt.Errorf("quota check: %w", err))
		w.Header().Set("Retry-After", "1")
		apis.WriteError(w, api, http.StatusServiceUnavailable, apis.KindUnavailable,
			"the gateway cannot reach its spending-limit database, so it is not forwarding requests: "+
				"try again shortly, and if this persists tell the gateway's admin ("+id+")")
		return
	}
	if !errors.As(err, &ex) {
		ce := s.publicError(r, fmt.Errorf("quota check: %w", err))
		apis.WriteError(w, api, ce.status, ce.kind, ce.msg)
		return
	}
	s.opts.Logf("WARN quota exceeded: detail=%q login_name=%q model=%q", ex.Error(), c.id.Principal(), rt.FQN)
	s.metrics.quotaRejected(rt.ProviderID, rt.Model)
	if ex.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(ex.RetryAfter.Seconds())))
	}
	apis.WriteError(w, api, http.StatusTooManyRequests, apis.KindQuotaExceeded, ex.Error())
}

// streamBudget keeps a stream that is not bounded by an output limit
// within what its quota can pay: as output passes, it draws more from the
// buckets, step tokens at a time (quotas.Cost.Draw, the rule itself).
type streamBudget struct {
	h *hold
}

// allow reports whether out output tokens (all choices, so far) are paid
// for, drawing more when they are not; false means the buckets cannot
// pay and the stream must end.
func (b streamBudget) allow(out int64) bool {
	h := b.h
	var ok bool
	h.output, ok = h.estimate().Draw(h.res, h.output, h.step, out)
	return ok
}

// cutMessage is what a client reads when its stream is ended for quota.
func cutMessage(h *hold) string {
	return fmt.Sprintf("the answer was ended after about %d output tokens: the quota buckets %v cannot pay for more "+
		"(set a max_tokens the bucket can cover, or ask an admin for a refill)", h.output, h.res.Buckets())
}

// estimateInput is the input-token estimate of a request body.
func estimateInput(body []byte) int64 { return quotas.EstimateInputTokens(len(body)) }
