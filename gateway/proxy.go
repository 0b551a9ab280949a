package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/quotas"
	"github.com/tsplug/ts-plug/gateway/routing"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// serveLLM handles one provider API call (route already detected).
func (s *Server) serveLLM(w http.ResponseWriter, r *http.Request, route apis.Route) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	start := s.opts.Now()
	api := route.API
	c, err := s.identify(r)
	if err != nil {
		apis.WriteError(w, api, http.StatusForbidden, apis.KindPermissionDenied, "access denied: "+err.Error())
		return
	}
	cors, ok := checkBrowser(r, c.access)
	if !ok {
		apis.WriteError(w, api, http.StatusForbidden, apis.KindPermissionDenied,
			"access denied: cross-site browser request from "+orDefault(r.Header.Get("Origin"), "another site")+
				" (a grant with set_cors and this origin in Access-Control-Allow-Origin allows it)")
		return
	}
	for k, v := range cors {
		w.Header()[k] = v
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if c.access.Role() == 0 {
		apis.WriteError(w, api, http.StatusForbidden, apis.KindPermissionDenied, "access denied: no role granted")
		return
	}
	if err := s.opts.Ledger.Healthy(); err != nil {
		// SDKs retry a 503 by themselves; the writer retries every second.
		w.Header().Set("Retry-After", "1")
		apis.WriteError(w, api, http.StatusServiceUnavailable, apis.KindUnavailable,
			"the gateway cannot record usage right now, so it is not forwarding requests ("+err.Error()+
				"); it retries every second and resumes on its own: try again shortly, and if this persists "+
				"tell the gateway's admin, whose log says why its database cannot be written")
		return
	}

	// One caller cannot hold every socket or all memory: its requests in
	// flight and their buffered bodies are bounded (caller_limits).
	who, limits := c.id.Principal(), c.cfg().CallerLimits
	if !s.callers.admit(who, limits.MaxConcurrent) {
		w.Header().Set("Retry-After", "1")
		apis.WriteError(w, api, http.StatusTooManyRequests, apis.KindRateLimited,
			fmt.Sprintf("%s already has %d requests in flight through this gateway (caller_limits.max_concurrent_requests); retry when some finish", who, limits.MaxConcurrent))
		return
	}
	var charged int64
	defer func() { s.callers.done(who, charged) }()
	body, charged, err := readBody(w, r, s.opts.MaxBodyBytes, func(n int64) bool {
		return s.callers.charge(who, n, limits.MaxBufferedBytes)
	})
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			apis.WriteError(w, api, http.StatusRequestEntityTooLarge, apis.KindRequestTooLarge,
				fmt.Sprintf("request body is larger than %d MiB", s.opts.MaxBodyBytes>>20))
		case errors.Is(err, errCallerBytes):
			w.Header().Set("Retry-After", "1")
			apis.WriteError(w, api, http.StatusTooManyRequests, apis.KindRateLimited,
				fmt.Sprintf("%s has more than %d MiB of request bodies in flight through this gateway (caller_limits.max_buffered_bytes); retry when some finish", who, limits.MaxBufferedBytes>>20))
		default:
			apis.WriteError(w, api, http.StatusBadRequest, apis.KindInvalidRequest, "reading request body: "+err.Error())
		}
		return
	}

	model, stream := route.Model, route.Stream
	info, ok := s.scanBody(w, api, route, body)
	if !ok {
		return
	}
	if route.ModelInBody() {
		model, stream = info.Model, info.Stream || route.Stream
	}

	var rt routing.Route
	if model == "" {
		// GET/DELETE /v1/responses/{id}: no model; any provider of the
		// API on which the caller may use some model.
		if route.ResponseID != "" && !c.isAdmin() {
			if owner := s.responseOwner(r.Context(), route.ResponseID); owner != "" && owner != c.id.Principal() {
				apis.WriteError(w, api, http.StatusNotFound, apis.KindNotFound, "no response "+route.ResponseID+" of yours")
				return
			}
		}
		var ok bool
		if rt, ok = s.anyProviderFor(c, api); !ok {
			apis.WriteError(w, api, http.StatusNotFound, apis.KindNotFound, "no provider you may use serves "+string(api))
			return
		}
	} else {
		var msg string
		if rt, msg = s.pickRoute(c, api, model); msg != "" {
			apis.WriteError(w, api, http.StatusNotFound, apis.KindModelNotFound, msg)
			return
		}
	}

	// Continuing another caller's stored response would read it.
	if api == config.OpenAIResponses && !c.isAdmin() {
		if prev := info.PreviousResponseID; prev != "" {
			if owner := s.responseOwner(r.Context(), prev); owner != "" && owner != c.id.Principal() {
				apis.WriteError(w, api, http.StatusNotFound, apis.KindNotFound, "no response "+prev+" of yours")
				return
			}
		}
	}

	// A model given as provider/model goes upstream as the provider
	// knows it, the rest of the body byte for byte as it is otherwise.
	// Every edit of the body comes from the one scan and is applied in
	// one copy, below, with the output limit the quota may set.
	var edits []apis.Edit
	path := r.URL.Path
	if model != "" && rt.Model != model {
		if route.ModelInBody() {
			edits = append(edits, apis.ModelEdit(info, rt.Model))
		} else {
			path = strings.Replace(path, "/models/"+model+":", "/models/"+rt.Model+":", 1)
		}
	}
	// Every stream is metered: an OpenAI chat client that did not ask for
	// usage gets it asked for anyway, and the extra chunk is removed from
	// what it sees.
	hideUsage := false
	if api == config.OpenAIChat && stream && route.Op == apis.OpCreate {
		var e apis.Edit
		if e, hideUsage = usage.IncludeUsageEdit(body, info); hideUsage {
			edits = append(edits, e)
		}
	}

	q := r.URL.Query()
	apis.StripKeyQuery(q)
	target, err := routing.JoinURL(rt.Provider.BaseURL, path, q.Encode())
	if err != nil {
		apis.WriteError(w, api, http.StatusBadGateway, apis.KindUpstreamUnreachable,
			fmt.Sprintf("provider %s has a bad baseurl: %v", rt.ProviderID, err))
		return
	}
	scope := c.access.ForModel(rt.FQN)
	var h hold
	if generates(route.Op) {
		if h, ok = s.reserve(w, c, api, rt, scope, body, info); !ok {
			return
		}
		edits = append(edits, h.edits...)
	} else {
		h.bounded = true
	}
	// A reservation is settled exactly once: to the real cost when the
	// answer is metered below, else (no answer, unknown price) to zero.
	defer h.res.Release()
	body = apis.Apply(body, edits...)

	ctx := r.Context()
	up, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		apis.WriteError(w, api, http.StatusBadGateway, apis.KindInternal, "building upstream request: "+err.Error())
		return
	}
	up.Header = r.Header.Clone()
	apis.SanitizeRequestHeaders(up.Header)
	if err := apis.InjectKey(up.Header, rt.Provider.Authorization, rt.Provider.APIKey); err != nil {
		apis.WriteError(w, api, http.StatusInternalServerError, apis.KindInternal,
			fmt.Sprintf("provider %s: %v", rt.ProviderID, err))
		return
	}
	apis.AddHeaders(up.Header, rt.Provider.AddHeaders)
	apis.AddHeaders(up.Header, scope.AddHeaders)
	up.ContentLength = int64(len(body))

	rec := &ledger.Record{
		ID: s.ids.next(start), Time: start,
		LoginName: c.id.LoginName, NodeName: c.id.NodeName, StableNodeID: c.id.StableNodeID,
		Tags: c.id.Tags, Principal: c.id.Principal(),
		Provider: rt.ProviderID, Model: rt.Model, API: api, Stream: stream,
		UserAgent: r.UserAgent(), SessionID: ledger.SessionID(r.Header, body),
	}
	if s.capturing() {
		rec.Capture = newCapture(r.Header, body)
	}
	res, err := s.opts.Transport.RoundTrip(up)
	if err != nil {
		if ctx.Err() != nil {
			rec.Status, rec.Interrupted, rec.Error = 499, true, "client went away before the provider answered"
		} else {
			msg := fmt.Sprintf("cannot reach provider %s (%s): %s", rt.ProviderID, rt.Provider.DisplayName(), upstreamError(err, rt.Provider.APIKey))
			apis.WriteError(w, api, http.StatusBadGateway, apis.KindUpstreamUnreachable, msg)
			rec.Status, rec.Error = http.StatusBadGateway, msg
		}
		s.finish(c, rec, start)
		return
	}
	defer res.Body.Close()
	rec.Status = res.StatusCode

	hdr := w.Header()
	for k, v := range res.Header {
		hdr[k] = v
	}
	apis.SanitizeResponseHeaders(hdr)
	if h.lowered > 0 {
		hdr.Set(OutputLimitHeader, strconv.FormatInt(h.lowered, 10))
	}
	// The answer ends when the handler returns (the chunked terminator,
	// or for a small answer the Content-Length net/http then computes),
	// after its ledger row is queued: a client that has read its whole
	// answer and then asks /api/requests sees the row, as queries wait
	// for queued rows. (The hidden usage chunk changes the length too.)
	hdr.Del("Content-Length")
	w.WriteHeader(res.StatusCode)

	ext := usage.NewExtractor(api, stream)
	// The answer is copied aside only for a capture, or, for a created
	// Responses object, as far as its ID (a first member).
	createsResponse := api == config.OpenAIResponses && route.Op == apis.OpCreate && res.StatusCode < 300
	var meter io.Writer = ext
	var respBody *capBuffer
	switch {
	case rec.Capture != nil:
		rec.Capture.ResponseHeaders = apis.RedactHeaders(hdr)
		respBody = &capBuffer{max: MaxCaptureBytes}
	case createsResponse:
		respBody = &capBuffer{max: responseIDWindow}
	}
	if respBody != nil {
		meter = io.MultiWriter(ext, respBody)
	}
	// Streams are flushed on every read so each event goes out at once;
	// a plain JSON answer is written as it comes and flushed at the end,
	// saving a write per request.
	var out io.Writer = w
	if stream || strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		out = &flushWriter{w: w, rc: http.NewResponseController(w)}
	}
	var filter *usage.UsageChunkFilter
	if hideUsage && res.StatusCode < 300 {
		filter = usage.NewUsageChunkFilter(out)
		out = filter
	}
	var cut *streamCut
	if stream && !h.bounded && h.res != nil && h.priced && res.StatusCode < 300 {
		cut = &streamCut{budget: streamBudget{&h}, ext: ext, api: api,
			jsonArray: api == config.GeminiGenerateContent && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream")}
	}
	complete, ttfb := copyStream(out, res.Body, meter, start, s.opts.Now, cut)
	if createsResponse {
		rec.CreatedResponse = s.recordResponseOwner(respBody.b, c.id.Principal())
	}
	if rec.Capture != nil {
		rec.Capture.ResponseBody = respBody.b
		rec.Capture.Truncated = rec.Capture.Truncated || respBody.truncated
	}
	if filter != nil {
		filter.Close()
	}
	ext.Finish(complete)
	rec.TTFB = ttfb
	rec.Usage = ext.Result()
	rec.Interrupted = !complete || (rec.Usage.Interrupted && res.StatusCode < 300)
	if cut != nil && cut.done {
		rec.Error = cutMessage(&h)
	}
	s.settle(c, rec, rt, route, &h, len(body))
	s.finish(c, rec, start)
}

// finish queues rec for the ledger. Nothing on the request's path waits
// for the database: the ledger commits queued rows a few milliseconds
// later in one transaction (and all of them on a clean shutdown), and
// bodies big enough to compress are compressed and queued on another
// goroutine.
func (s *Server) finish(c *caller, rec *ledger.Record, start time.Time) {
	rec.Duration = s.opts.Now().Sub(start)
	s.metrics.observe(rec)
	capture := rec.Capture
	async, _ := s.opts.Ledger.(asyncCapturer)
	if async != nil {
		rec.Capture = nil
	}
	if err := s.opts.Ledger.Enqueue(rec); err != nil {
		s.opts.Logf("LEDGER: request %s by %s (%s, %d tokens) not recorded: %v",
			rec.ID, rec.Principal, rec.Model, rec.Usage.InputTokens+rec.Usage.OutputTokens, err)
		return
	}
	if async != nil && capture != nil {
		id := rec.ID
		if len(capture.RequestBody) < ledger.MinCompress && len(capture.ResponseBody) < ledger.MinCompress {
			// Nothing to compress: queuing it here is cheaper than waking
			// another goroutine for it.
			if err := async.CaptureAsync(id, capture); err != nil {
				s.opts.Logf("capture of request %s not stored: %v", id, err)
			}
			return
		}
		s.background.Add(1)
		go func() {
			defer s.background.Done()
			if err := async.CaptureAsync(id, capture); err != nil {
				s.opts.Logf("capture of request %s not stored: %v", id, err)
			}
		}()
	}
}

// asyncCapturer is a ledger that can queue a request's capture after its
// row, compressing it on the caller's goroutine.
type asyncCapturer interface {
	CaptureAsync(id string, c *ledger.Capture) error
}

// pickRoute finds the provider for model, or says why there is none.
func (s *Server) pickRoute(c *caller, api config.API, model string) (routing.Route, string) {
	cands := routing.Candidates(c.cfg(), api, model)
	if len(cands) == 0 {
		return routing.Route{}, fmt.Sprintf("model %q is not served by any enabled provider for %s", model, apiLabel(api))
	}
	for _, rt := range cands {
		if c.access.AllowsModel(rt.FQN) {
			return rt, ""
		}
	}
	return routing.Route{}, fmt.Sprintf("model %q is not granted to %s", model, c.id.Principal())
}

// anyProviderFor picks, for a model-less call, the preferred provider of
// api serving some model the caller may use.
func (s *Server) anyProviderFor(c *caller, api config.API) (routing.Route, bool) {
	var best routing.Route
	found := false
	for _, m := range routing.Models(c.cfg(), c.access) {
		for _, a := range m.APIs {
			if a == api && (!found || m.Provider.Preference > best.Provider.Preference) {
				best = routing.Route{ProviderID: m.ProviderID, Provider: m.Provider, Model: m.ID, FQN: m.FQN}
				found = true
			}
		}
	}
	return best, found
}

func apiLabel(api config.API) string {
	switch api {
	case config.OpenAIChat:
		return "the OpenAI Chat Completions API"
	case config.OpenAIResponses:
		return "the OpenAI Responses API"
	case config.AnthropicMessages:
		return "the Anthropic Messages API"
	case config.GeminiGenerateContent:
		return "the Gemini API"
	}
	return string(api)
}

// upstreamError describes a transport error without the provider key,
// which some errors could echo through the URL.
func upstreamError(err error, key string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if key != "" {
		msg = strings.ReplaceAll(msg, key, "[redacted]")
	}
	return msg
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// generates reports whether op makes the provider generate (and bill)
// tokens. Counting tokens, and reading, listing, cancelling or deleting a
// stored response, hold and charge nothing: a stored response's usage is
// that of the request that created it, already on the ledger.
func generates(op apis.Op) bool {
	return op == apis.OpCreate || op == apis.OpCompact
}

// settle prices the answer and charges its hold.
func (s *Server) settle(c *caller, rec *ledger.Record, rt routing.Route, route apis.Route, h *hold, bodyLen int) {
	if !generates(route.Op) {
		rec.CostNanos, rec.CostKnown = 0, true
		return
	}
	if rec.Status < 300 && rec.Interrupted && !rec.Usage.Found {
		// Cut before any content or usage passed: the provider has
		// still read the prompt.
		rec.Usage = usage.Usage{Found: true, Interrupted: true, Estimated: true}
	}
	if rec.Usage.Estimated && rec.Usage.TotalInput() == 0 {
		// Cut before the provider said what the input was: the same
		// estimate the hold was made with.
		rec.Usage.InputTokens = quotas.EstimateInputTokens(bodyLen)
	}
	if rec.Usage.Found {
		// A part the price table cannot price (a service tier, audio
		// without an audio price) is named on the row; the rest is
		// still charged, never left at $0.
		var unpriced []string
		rec.CostNanos, _, unpriced, rec.CostKnown = c.rc.prices.CostDetail(rt.ProviderID, rt.Model, rec.Usage)
		rec.Unpriced = strings.Join(unpriced, ",")
	}
	switch {
	case rec.CostKnown:
		h.res.Settle(rec.CostNanos)
	case rec.Status < 300 && h.priced:
		// The provider answered (and bills for it) but reported no
		// usage the gateway can price: keep the whole hold rather
		// than refund a request that cost money, and say so on the
		// row, so the ledger has every nanodollar the bucket lost.
		rec.CostNanos, rec.CostKnown = h.res.Amount(), true
		rec.Usage.Estimated = true
		h.res.Settle(rec.CostNanos)
	}
}

// scanBody reads the members of the request body the gateway acts on, or
// answers 400 in the caller's dialect.
func (s *Server) scanBody(w http.ResponseWriter, api config.API, route apis.Route, body []byte) (apis.BodyInfo, bool) {
	none := apis.BodyInfo{OutputLimit: -1, Choices: 1}
	gemini := api == config.GeminiGenerateContent && generates(route.Op)
	if !route.ModelInBody() && !gemini {
		return none, true
	}
	if gemini && len(bytes.TrimSpace(body)) == 0 {
		return none, true // the provider answers an empty body itself
	}
	info, err := apis.ScanBody(body)
	bad := func(msg string) (apis.BodyInfo, bool) {
		apis.WriteError(w, api, http.StatusBadRequest, apis.KindInvalidRequest, msg)
		return info, false
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
