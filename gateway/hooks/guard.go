package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// DefaultBlockStatus and DefaultBlockMessage answer a block that names
// neither.
const (
	DefaultBlockStatus  = http.StatusForbidden
	DefaultBlockMessage = "request blocked by guardrail"
)

// Verdict is what a chain of guardrails decided.
type Verdict struct {
	// Blocked: the request must not be sent. Status and Message are the
	// answer; Hook names the guardrail that blocked it (or that failed
	// closed, then FailedClosed is set).
	Blocked      bool
	FailedClosed bool
	Status       int
	Message      string
	Hook         string
	// Body is the request body after every modification; nil when no
	// guardrail modified it.
	Body []byte
	// Modifiers names the guardrails whose modifications Body holds.
	Modifiers []string
}

// guardrailAnswer is a guardrail's decision (Aperture's
// GuardrailResponse). Unknown members are ignored.
type guardrailAnswer struct {
	Action      string          `json:"action"`
	StatusCode  int             `json:"status_code"`
	Message     string          `json:"message"`
	RequestBody json.RawMessage `json:"request_body"`
}

// PayloadFunc builds the payload for hook b, with body the request body
// as it stands (after earlier modifications).
type PayloadFunc func(b Bound, body []byte) ([]byte, error)

// CheckFunc says why a modified body cannot be sent, or nil when it can.
type CheckFunc func(body []byte) error

// Guard runs chain in order on body. Each guardrail may allow (the next
// runs), modify (the next, and the provider, see its body) or block (the
// chain stops and earlier modifications are discarded). A guardrail that
// cannot be reached, does not answer within its timeout, answers non-2xx
// or answers something unreadable (a modified body check refuses
// included) follows its fail policy: fail_open continues as if it
// allowed, fail_closed blocks with 503.
func (r *Runner) Guard(ctx context.Context, chain []Bound, body []byte, payload PayloadFunc, check CheckFunc) Verdict {
	var v Verdict
	cur := body
	for _, b := range chain {
		h := b.Hook
		start := time.Now()
		p, err := payload(b, cur)
		var ans guardrailAnswer
		if err == nil {
			ans, err = r.ask(ctx, h, p)
		}
		if err == nil && ans.Action == "modify" && check != nil {
			if nb := bytes.TrimSpace(ans.RequestBody); len(nb) > 0 && nb[0] == '{' {
				if cerr := check(nb); cerr != nil {
					err = fmt.Errorf("modified the request into one the gateway cannot send: %v", cerr)
				}
			}
		}
		took := time.Since(start)
		if err != nil {
			if ctx.Err() != nil {
				// The caller went away: nothing will be sent anyway.
				r.stats.record(h.Name, PreRequest, OutcomeCanceled, took, err)
				return Verdict{Blocked: true, Status: 499, Message: "client went away while guardrails ran", Hook: h.Name}
			}
			if h.FailPolicy == "fail_closed" {
				r.stats.record(h.Name, PreRequest, OutcomeFailedClosed, took, err)
				r.logf("hook %s (pre_request): %v; fail_closed: request refused", h.Name, err)
				return Verdict{Blocked: true, FailedClosed: true, Status: http.StatusServiceUnavailable, Hook: h.Name,
					Message: fmt.Sprintf("guardrail %q could not screen this request (%v); it is fail_closed, so the request was not sent", h.Name, err)}
			}
			r.stats.record(h.Name, PreRequest, OutcomeFailedOpen, took, err)
			r.logf("hook %s (pre_request): %v; fail_open: request allowed", h.Name, err)
			continue
		}
		switch ans.Action {
		case "block":
			r.stats.record(h.Name, PreRequest, OutcomeBlock, took, nil)
			st := ans.StatusCode
			if st < 400 || st > 599 {
				st = DefaultBlockStatus
			}
			msg := strings.TrimSpace(ans.Message)
			if msg == "" {
				msg = DefaultBlockMessage
			}
			return Verdict{Blocked: true, Status: st, Message: msg, Hook: h.Name}
		case "modify":
			nb := bytes.TrimSpace(ans.RequestBody)
			if len(nb) == 0 || nb[0] != '{' {
				// Documented: a modify without an object is an allow.
				r.stats.record(h.Name, PreRequest, OutcomeAllow, took, nil)
				continue
			}
			r.stats.record(h.Name, PreRequest, OutcomeModify, took, nil)
			cur = bytes.Clone(nb)
			v.Body, v.Modifiers = cur, append(v.Modifiers, h.Name)
		default: // allow
			r.stats.record(h.Name, PreRequest, OutcomeAllow, took, nil)
		}
	}
	return v
}

// ask posts p to guardrail h and reads its decision.
func (r *Runner) ask(ctx context.Context, h *config.Hook, p []byte) (guardrailAnswer, error) {
	a, err := r.c.post(ctx, h, p)
	if err != nil {
		return guardrailAnswer{}, err
	}
	if a.status < 200 || a.status > 299 {
		return guardrailAnswer{}, fmt.Errorf("answered HTTP %d", a.status)
	}
	var ans guardrailAnswer
	if err := json.Unmarshal(a.body, &ans); err != nil {
		return guardrailAnswer{}, fmt.Errorf("answer is not a guardrail decision: %v", err)
	}
	switch ans.Action {
	case "allow", "block", "modify":
		return ans, nil
	}
	return guardrailAnswer{}, fmt.Errorf("answer has action %q (want allow, block or modify)", ans.Action)
}
