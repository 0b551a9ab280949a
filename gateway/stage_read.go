package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// read reads the request body, within the caller's buffered-bytes limit,
// and the members of it the gateway acts on (apis.ScanBody), once.
func (x *exchange) read() bool {
	s := x.s
	limits := x.c.cfg().CallerLimits
	body, charged, err := readBody(x.w, x.r, s.opts.MaxBodyBytes, func(n int64) bool {
		return s.callers.charge(x.who, n, limits.MaxBufferedBytes)
	})
	x.charged = charged
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return x.fail(http.StatusRequestEntityTooLarge, apis.KindRequestTooLarge,
				fmt.Sprintf("request body is larger than %d MiB", s.opts.MaxBodyBytes>>20))
		case errors.Is(err, errCallerBytes):
			x.w.Header().Set("Retry-After", "1")
			return x.fail(http.StatusTooManyRequests, apis.KindRateLimited,
				fmt.Sprintf("%s has more than %d MiB of request bodies in flight through this gateway (caller_limits.max_buffered_bytes); retry when some finish", x.who, limits.MaxBufferedBytes>>20))
		}
		return x.fail(http.StatusBadRequest, apis.KindInvalidRequest, "reading request body: "+err.Error())
	}
	x.body = body
	x.model, x.stream = x.route.Model, x.route.Stream
	info, ok := x.scanBody()
	if !ok {
		return false
	}
	x.info = info
	if x.route.ModelInBody() {
		x.model, x.stream = info.Model, info.Stream || x.route.Stream
	}
	x.session = ledger.SessionID(x.r.Header, sessionHints(body, info))
	return true
}

// sessionHints is what the body, as the caller sent it, says about its
// conversation: read from info, the scan of body, as the provider reads
// it. A body the gateway forwards unscanned (Gemini's countTokens, whose
// model is in the path) is scanned for them here; one that is not a valid
// JSON object says nothing.
func sessionHints(body []byte, info apis.BodyInfo) apis.SessionHints {
	if !info.Scanned() {
		var err error
		if info, err = apis.ScanBody(body); err != nil {
			return apis.SessionHints{}
		}
	}
	return info.SessionHints(body)
}

// scanBody reads the members of the request body the gateway acts on, or
// answers 400 in the caller's dialect.
func (x *exchange) scanBody() (apis.BodyInfo, bool) {
	route, body := x.route, x.body
	none := apis.BodyInfo{OutputLimit: -1, Choices: 1, MaxToolCalls: -1}
	gemini := x.api == config.GeminiGenerateContent && generates(route.Op)
	if !route.ModelInBody() && !gemini {
		return none, true
	}
	if gemini && len(bytes.TrimSpace(body)) == 0 {
		return none, true // the provider answers an empty body itself
	}
	info, err := apis.ScanBody(body)
	bad := func(msg string) (apis.BodyInfo, bool) {
		return info, x.fail(http.StatusBadRequest, apis.KindInvalidRequest, msg)
	}
	switch {
	case errors.Is(err, apis.ErrAmbiguousBody), errors.Is(err, apis.ErrAmbiguousModel), errors.Is(err, apis.ErrBadField):
		return bad("request body: " + err.Error() + "; the gateway authorizes and meters what it reads, so it refuses a body that parsers could read differently")
	case err != nil && !errors.Is(err, apis.ErrNoModel):
		return bad("request body: " + err.Error())
	case info.Fallbacks != "":
		return bad(fmt.Sprintf("request body: %q lists other models the provider may run instead of \"model\"; "+
			"the gateway authorizes and prices only the model it is asked for, so send a single \"model\"", info.Fallbacks))
	case !route.ModelInBody():
		return info, true
	case !info.HasModel || info.Model == "":
		return bad(`request body has no "model"`)
	case !info.ModelIsString:
		return bad(`"model" must be a string`)
	}
	return info, true
}
