package gateway

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/routing"
)

// reserve holds the request's estimated cost in every quota bucket that
// applies, or answers 429 and returns ok=false. A nil reservation with
// ok=true means no bucket applies.
func (s *Server) reserve(w http.ResponseWriter, c *caller, api config.API, rt routing.Route, scope grants.Scope, body []byte) (*quotas.Reservation, bool) {
	if s.opts.Quotas == nil || len(scope.Buckets) == 0 {
		return nil, true
	}
	refs := quotas.Refs(scope.Buckets, scope.BucketDefs)
	var amount int64
	if q, ok := c.rc.prices.Resolve(rt.ProviderID, rt.Model); ok {
		reserveOut := int64(c.cfg().ReserveOutputTokens)
		amount, _ = quotas.Estimate(quotas.EstimateInputTokens(len(body)), maxOutputTokens(body, reserveOut), reserveOut, q.Price)
	}
	res, err := s.opts.Quotas.Reserve(refs, amount)
	if err == nil {
		return res, true
	}
	var ex *quotas.ExceededError
	if !errors.As(err, &ex) {
		apis.WriteError(w, api, http.StatusInternalServerError, apis.KindInternal, "quota check failed: "+err.Error())
		return nil, false
	}
	s.opts.Logf("WARN quota exceeded: detail=%q login_name=%q model=%q", ex.Error(), c.id.Principal(), rt.FQN)
	s.metrics.quotaRejected(rt.ProviderID, rt.Model)
	if ex.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(ex.RetryAfter.Seconds())))
	}
	apis.WriteError(w, api, http.StatusTooManyRequests, apis.KindQuotaExceeded, ex.Error())
	return nil, false
}

// maxOutputTokens finds the request's output-token limit cheaply, without
// decoding the body: the first "max_tokens", "max_output_tokens",
// "max_completion_tokens" or Gemini "maxOutputTokens" number. It only
// feeds the quota estimate (which is settled to the real cost), so a rare
// false match costs a slightly wrong reservation, never a wrong bill. It
// returns def when there is none.
func maxOutputTokens(body []byte, def int64) int64 {
	for _, key := range [...]string{`"max_tokens"`, `"max_output_tokens"`, `"max_completion_tokens"`, `"maxOutputTokens"`} {
		i := bytes.Index(body, []byte(key))
		if i < 0 {
			continue
		}
		rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if v, err := strconv.ParseInt(string(rest[:n]), 10, 64); err == nil {
			return v
		}
	}
	return def
}
