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

// maxOutputTokens finds the request's output-token limit cheaply, in one
// pass and without decoding the body: the first "max_tokens",
// "max_output_tokens", "max_completion_tokens" or Gemini
// "maxOutputTokens" followed by a number. It only feeds the quota estimate
// (which is settled to the real cost), so a rare false match costs a
// slightly wrong reservation, never a wrong bill. It returns def when
// there is none.
func maxOutputTokens(body []byte, def int64) int64 {
	rest := body
	for {
		i := bytes.Index(rest, []byte(`"max`))
		if i < 0 {
			return def
		}
		rest = rest[i+4:]
		var key int
		switch {
		case bytes.HasPrefix(rest, []byte(`_tokens"`)):
			key = len(`_tokens"`)
		case bytes.HasPrefix(rest, []byte(`_output_tokens"`)):
			key = len(`_output_tokens"`)
		case bytes.HasPrefix(rest, []byte(`_completion_tokens"`)):
			key = len(`_completion_tokens"`)
		case bytes.HasPrefix(rest, []byte(`OutputTokens"`)):
			key = len(`OutputTokens"`)
		default:
			continue
		}
		v := bytes.TrimLeft(rest[key:], " \t\r\n")
		if len(v) == 0 || v[0] != ':' {
			continue
		}
		v = bytes.TrimLeft(v[1:], " \t\r\n")
		n := 0
		for n < len(v) && n < 19 && v[n] >= '0' && v[n] <= '9' {
			n++
		}
		if n > 0 {
			t, _ := strconv.ParseInt(string(v[:n]), 10, 64)
			return t
		}
	}
}
