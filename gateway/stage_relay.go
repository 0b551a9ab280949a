package gateway

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// relay passes the provider's answer to the caller as it arrives while a
// copy on the side meters it, then prices it, settles the hold and
// records the row.
func (x *exchange) relay(res *http.Response) {
	s, w, rec := x.s, x.w, x.rec
	hdr := w.Header()
	for k, v := range res.Header {
		hdr[k] = v
	}
	apis.SanitizeResponseHeaders(hdr)
	if x.h.lowered > 0 {
		hdr.Set(OutputLimitHeader, strconv.FormatInt(x.h.lowered, 10))
	}
	// The answer ends when the handler returns (the chunked terminator,
	// or for a small answer the Content-Length net/http then computes),
	// after its ledger row is durable (finish): a client that has read
	// its whole answer has its row, through a SIGKILL too. (The hidden
	// usage chunk changes the length too.)
	hdr.Del("Content-Length")
	w.WriteHeader(res.StatusCode)

	ext := &x.meter
	ext.Reset(x.api, x.stream)
	// The answer is copied aside only for a capture, or, for a created
	// Responses object, as far as its ID (a first member).
	createsResponse := x.api == config.OpenAIResponses && x.route.Op == apis.OpCreate && res.StatusCode < 300
	// Webhooks that read the answer read the same copy.
	wh := x.webhooksFor()
	var meter io.Writer = ext
	var respBody *ledger.CaptureBuffer
	switch {
	case rec.Capture != nil:
		// hdr is encoded, redacted, when finish queues the capture (see
		// capturing): nothing writes to it after WriteHeader.
		rec.Capture.SetResponseHeaders(hdr)
		x.answer, respBody = ledger.MakeCaptureBuffer(ledger.MaxCaptureBytes), &x.answer
	case wh.needsAnswer():
		x.answer, respBody = ledger.MakeCaptureBuffer(ledger.MaxCaptureBytes), &x.answer
	case createsResponse:
		x.answer, respBody = ledger.MakeCaptureBuffer(responseIDWindow), &x.answer
	}
	if respBody != nil {
		x.tee = teeWriter{ext, respBody}
		meter = &x.tee
	}
	// Streams are flushed on every read so each event goes out at once;
	// a plain JSON answer is written as it comes and flushed at the end,
	// saving a write per request.
	sse := strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream")
	var out io.Writer = w
	if x.stream || sse {
		out = &flushWriter{w: w, rc: http.NewResponseController(w)}
	}
	var filter *usage.UsageChunkFilter
	if x.hideUsage && res.StatusCode < 300 {
		filter = usage.NewUsageChunkFilter(out)
		out = filter
	}
	var cut *streamCut
	if x.stream && !x.h.bounded && x.h.res != nil && x.h.priced && res.StatusCode < 300 {
		cut = &streamCut{h: &x.h, ext: ext, api: x.api}
		ext.SetBudget(streamBudget{&x.h}.allow)
	}
	cp := copyStream(out, res.Body, res.ContentLength, meter, x.start, s.opts.Now, cut)
	if cp.end == endUpstreamBroke && x.r.Context().Err() != nil {
		// The body's read failed because the caller left: its context
		// ended the upstream request.
		cp.end = endClientGone
	}
	abort := false
	if cp.end == endUpstreamBroke {
		switch x.endBroken(out, cp, res.StatusCode, sse) {
		case brokeAfterTheEnd:
			cp.end = endComplete
		case brokeMidEvent:
			abort = true
		}
	}
	complete := cp.complete()
	if createsResponse {
		rec.CreatedResponse = s.recordResponseOwner(respBody.Bytes(), x.c.id.Principal())
	}
	if rec.Capture != nil {
		rec.Capture.ResponseBody = respBody.Bytes()
		rec.Capture.Truncated = rec.Capture.Truncated || respBody.Truncated()
	}
	if filter != nil {
		filter.Close()
	}
	ext.Finish(complete)
	rec.TTFB = cp.ttfb
	rec.Usage = ext.Result()
	rec.Interrupted = !complete || (rec.Usage.Interrupted && res.StatusCode < 300)
	if cut != nil && cut.done {
		rec.Error = cutMessage(&x.h)
	}
	x.settle()
	if rec.CreatedResponse != "" {
		u := rec.Usage
		rec.ResponseContext = x.h.context + u.TotalInput() + u.OutputTokens
		s.responses.setContext(rec.CreatedResponse, rec.ResponseContext)
	}
	s.finish(x.c, rec, x.start)
	var answer []byte
	if respBody != nil && wh.needsAnswer() {
		answer = respBody.Bytes()
	}
	x.notify(wh, rec, answer)
	if abort {
		// The row is written: now drop the connection without ending the
		// body, so the caller's HTTP client reports the answer cut short
		// instead of taking the part it got as the whole. The headers go
		// first (an answer under net/http's buffer has sent nothing yet):
		// the caller learns the provider answered, and a proxy in front
		// (ts-unplug) does not take the cut for its own link failing.
		http.NewResponseController(x.w).Flush()
		panic(http.ErrAbortHandler)
	}
}

// brokenAnswer is where the provider broke off its answer, which decides
// how the caller learns of it.
type brokenAnswer uint8

const (
	brokeBetweenEvents brokenAnswer = iota // the stream ends with an error event
	brokeAfterTheEnd                       // past the terminal event: the caller has it all
	brokeMidEvent                          // no well-formed ending (or no stream): drop the connection
)

// endBroken ends an answer the provider broke off after cp.written bytes
// so that the caller can tell it from a whole one, judging the stream's
// format by what the meter read of it (a Content-Type can be wrong):
//   - a stream stopped between two events ends with an error event in its
//     API's own format, which the SDKs raise;
//   - an answer stopped after its end has lost nothing and ends as it
//     would have: a JSON document or array read to its closing bracket,
//     an SSE stream whose last event was its terminal one, with nothing
//     but comments or blank lines after it;
//   - anything else (inside an event or a JSON array's element, a plain
//     JSON answer, an error answer) has no well-formed ending: the caller
//     gets the headers, and the connection is then to be dropped without
//     ending the body, as a proxy that loses its upstream does.
//
// The log has the transport's error; the row and the caller, a few words
// of it.
func (x *exchange) endBroken(out io.Writer, cp copied, status int, sseHeader bool) brokenAnswer {
	format := x.meter.Format()
	sse := format == usage.FormatSSE || (format == usage.FormatUnknown && sseHeader)
	jsonArray := format == usage.FormatJSONArray && x.api == config.GeminiGenerateContent
	// Gemini's finishReason ends one candidate: with several asked for,
	// the others may still be going.
	whole := x.meter.JSONDone() || (x.stream && status < 300 && x.meter.EndsAtTerminal() &&
		(x.api != config.GeminiGenerateContent || x.info.Choices <= 1))
	at := brokeMidEvent
	switch {
	case whole:
		return brokeAfterTheEnd
	case !x.stream || status >= 300:
	case cp.written != x.meter.EventEnd():
	case sse || (jsonArray && cp.written > 0): // an array has its "[" out
		at = brokeBetweenEvents
	}
	rt := x.rt
	x.s.logInternal(x.r, x.requestID(), fmt.Errorf("provider %s broke off its answer after %d bytes: %s",
		rt.ProviderID, cp.written, upstreamError(cp.err, x.cred.secrets()...)))
	x.rec.Error = fmt.Sprintf("provider %s (%s) broke off its answer after %d bytes: %s",
		rt.ProviderID, rt.Provider.DisplayName(), cp.written, unreachable(cp.err))
	if at == brokeBetweenEvents {
		out.Write(errorEvent(cp.last, x.api, jsonArray, apis.KindUpstreamUnreachable, x.rec.Error))
	}
	return at
}

// teeWriter is io.MultiWriter for the meter and the answer's copy, kept
// in the exchange: MultiWriter took two allocations per answer.
type teeWriter struct{ a, b io.Writer }

func (t *teeWriter) Write(p []byte) (int, error) {
	if n, err := t.a.Write(p); err != nil || n != len(p) {
		return n, cmp.Or(err, io.ErrShortWrite)
	}
	return t.b.Write(p)
}

// settle prices the answer and charges its hold.
func (x *exchange) settle() {
	rec, h := x.rec, &x.h
	if !generates(x.route.Op) {
		// A stored response's usage is on the row of the request that
		// created it; repeating it here would count it twice.
		rec.Usage = usage.Usage{}
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
		rec.Usage.InputTokens = h.input
		if h.input == 0 {
			rec.Usage.InputTokens = estimateInput(x.body)
		}
	}
	if rec.Usage.Found {
		// A part the price table cannot price (a service tier, audio
		// without an audio price) is named on the row; the rest is
		// still charged, never left at $0.
		var unpriced []string
		rec.CostNanos, _, unpriced, rec.CostKnown = x.c.rc.prices.CostDetail(x.rt.ProviderID, x.rt.Model, rec.Usage)
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
