package usage

import (
	"encoding/json"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Limits of the extractor's buffers. A usage object is tiny; a Gemini
// array element or an SSE event carries a chunk of the answer (and
// Responses' terminal event the whole response), so those get more room.
const (
	maxUsageObject = 64 << 10
	maxElement     = DefaultMaxEventSize
)

type bodyMode uint8

const (
	modeUnknown bodyMode = iota // only whitespace seen so far
	modeJSON                    // a JSON document (object or Gemini array)
	modeSSE                     // text/event-stream
)

// Extractor meters one response. It is an io.Writer fed a copy of the
// response body (already decoded from any Content-Encoding) in the chunks
// that are sent to the client; it never fails and never blocks, so it can
// sit behind an io.TeeReader or io.MultiWriter. Call Finish when the body
// ends, then Result.
//
// The body format is detected from its first non-space byte ('{' or '['
// means JSON, anything else SSE) rather than trusted from the request, so an
// error document answering a streamed request is still read correctly.
// Memory is bounded: JSON documents are scanned without being held, and SSE
// events beyond DefaultMaxEventSize are skipped.
//
// An Extractor is not safe for concurrent use.
type Extractor struct {
	api    config.API
	stream bool
	mode   bodyMode

	sse  SSEParser
	json jsonScanner
	rd   memberReader // reads the events' members (members.go)
	list [][]byte     // scratch for rd's array elements

	u          Usage
	tier       string // OpenAI's top-level service_tier of a JSON body
	gemLast    []byte // latest Gemini usageMetadata object, not yet decoded
	gemPending bool
	anth       anthropicState
	terminal   bool // the terminal event (or the end of the JSON) was seen
	// lastTerminal: the last SSE event dispatched at its blank line was
	// terminal (see EndsAtTerminal).
	lastTerminal bool
	finished     bool

	// Content estimate, for an answer that ends before its final usage
	// (see estimate.go): in SSE mode the events' content measured, in
	// JSON mode doc's.
	events  contentMeasure
	doc     contentScanner
	skipped int64 // leading whitespace written before the format was known
	// finalUsage: the usage that covers the whole answer was seen (Chat's
	// usage chunk, Anthropic's message_delta, Responses' terminal event,
	// Gemini's last chunk), and no content came after it.
	finalUsage bool
	maxEvent   int // test hook; 0 means the defaults
	maxObject  int

	budget  func(out int64) bool // see SetBudget
	stopped bool
	stopAt  int64
}

// NewExtractor returns an extractor for a response of the given API.
// stream is the request's stream flag. It is kept for the caller's record
// only: the body format is detected from the body itself, so a JSON error
// answering a streamed request, or Gemini's JSON-array stream, is read
// correctly whatever the flag says.
func NewExtractor(api config.API, stream bool) *Extractor {
	e := new(Extractor)
	e.Reset(api, stream)
	return e
}

// Reset makes e what NewExtractor returns, for an extractor kept inside
// a larger value (the gateway's per-request state) rather than allocated
// on its own.
func (e *Extractor) Reset(api config.API, stream bool) {
	*e = Extractor{api: api, stream: stream}
}

// Write consumes the next bytes of the response body. It always returns
// len(b), nil.
func (e *Extractor) Write(b []byte) (int, error) {
	n := len(b)
	if e.finished {
		return n, nil
	}
	if e.mode == modeUnknown {
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		e.skipped += int64(i)
		if i == len(b) {
			return n, nil
		}
		e.start(b[i])
		b = b[i:]
	}
	if e.mode == modeSSE {
		e.sse.Write(b)
	} else {
		e.json.Write(b)
		e.doc.Write(b)
	}
	return n, nil
}

// usageKeys and openAIUsageKeys are the top-level members a JSON answer's
// usage is read from; shared, read-only, by every extractor.
var (
	usageKeys       = []string{"usage", "usageMetadata"}
	openAIUsageKeys = []string{"usage", "usageMetadata", "service_tier"}
)

// start picks the body format from its first significant byte.
func (e *Extractor) start(first byte) {
	if first == '{' || first == '[' {
		e.mode = modeJSON
		e.json.max = maxUsageObject
		if e.maxObject > 0 {
			e.json.max = e.maxObject
		}
		if first == '[' {
			e.json.max = maxElement
			if e.maxEvent > 0 {
				e.json.max = e.maxEvent
			}
		}
		e.json.keys = usageKeys
		if e.api == config.OpenAIChat || e.api == config.OpenAIResponses {
			// OpenAI reports the tier beside usage, before or after it.
			e.json.keys = openAIUsageKeys
		}
		e.json.onValue = e.onJSONValue
		e.doc.members = contentMembers(e.api, false)
		return
	}
	e.mode = modeSSE
	e.sse.MaxEventSize = e.maxEvent
	e.sse.OnEvent = e.onEvent
}

// onJSONValue receives a top-level "usage"/"usageMetadata" value of a JSON
// body, or one element of a Gemini JSON array stream.
func (e *Extractor) onJSONValue(key string, val []byte) {
	if e.json.array {
		e.geminiChunk(val)
		e.checkBudget()
		return
	}
	if key == "service_tier" {
		e.tier = stringValue(val)
		return
	}
	if len(val) == 0 || val[0] != '{' {
		return // null or not an object: no usage reported
	}
	switch {
	case key == "usageMetadata" && e.api == config.GeminiGenerateContent:
		var w geminiUsage
		if json.Unmarshal(val, &w) == nil {
			e.u = w.usage()
		}
	case key == "usage":
		e.usageObject(val)
	}
}

// usageObject decodes a non-streamed body's top-level "usage".
func (e *Extractor) usageObject(val []byte) {
	switch e.api {
	case config.OpenAIChat:
		var w openAIChatUsage
		if fastChatUsage(val, &w) || unmarshalFresh(val, &w) {
			e.u = w.usage()
		}
	case config.OpenAIResponses:
		var w responsesUsage
		if fastResponsesUsage(val, &w) || unmarshalFresh(val, &w) {
			e.u = w.usage()
		}
	case config.AnthropicMessages:
		var w anthropicUsage
		if fastAnthropicUsage(val, &w) || unmarshalFresh(val, &w) {
			// One message has one usage: a repeated member replaces,
			// as a decoder reads it, rather than merging as the
			// stream's events do.
			e.anth = anthropicState{}
			e.anth.merge(&w)
			e.u = e.anth.usage()
		}
	}
}

// onEvent handles one SSE event.
func (e *Extractor) onEvent(ev *SSEEvent) {
	var typ string
	if e.api == config.OpenAIResponses || e.api == config.AnthropicMessages {
		typ = string(ev.Event)
		if typ == "" && !ev.Truncated {
			typ = e.rd.eventType(ev.Data)
		}
	}
	if e.eventContent(ev, typ) {
		e.finalUsage = false // usage seen before this content does not cover it
	}
	wasTerminal := e.terminal
	e.terminal = false
	switch e.api {
	case config.OpenAIChat:
		e.openAIChatEvent(ev)
	case config.OpenAIResponses:
		e.responsesEvent(ev, typ)
	case config.AnthropicMessages:
		e.anthropicEvent(ev, typ)
	case config.GeminiGenerateContent:
		if !ev.Truncated {
			e.geminiChunk(ev.Data)
		}
	}
	if !e.sse.ending { // an event End dispatches has no end
		e.lastTerminal = e.terminal
	}
	e.terminal = e.terminal || wasTerminal
	e.checkBudget()
}

func (e *Extractor) openAIChatEvent(ev *SSEEvent) {
	if string(ev.Data) == "[DONE]" {
		e.terminal = true
		return
	}
	// Nearly every chunk carries no usage (or "usage":null): the
	// pre-check spares them the exact read.
	if !mayHaveObjectMember(ev.Data, `"usage"`) {
		return
	}
	if u, ok := e.rd.chatUsage(ev.Data); ok {
		e.u = u             // cumulative: the latest report wins
		e.finalUsage = true // it covers the content so far, this chunk's included
	}
}

// responsesEvent handles a Responses event of type typ.
func (e *Extractor) responsesEvent(ev *SSEEvent, typ string) {
	switch typ {
	case "response.completed", "response.incomplete", "response.failed":
		e.terminal = true
	default:
		return
	}
	if ev.Truncated || !mayHaveObjectMember(ev.Data, `"usage"`) {
		return
	}
	// The terminal event carries the whole response: its usage, its tier
	// and the web and file search calls billed per call.
	resp := e.rd.member(ev.Data, "response")
	if !isObject(resp) {
		return
	}
	if u, ok := e.rd.responsesUsage(resp); ok {
		e.u = u
		e.finalUsage = true
	}
}

// anthropicEvent handles an Anthropic event of type typ.
func (e *Extractor) anthropicEvent(ev *SSEEvent, typ string) {
	switch typ {
	case "message_stop":
		e.terminal = true
		return
	case "message_start":
		if ev.Truncated {
			return
		}
		var w anthropicUsage
		if msg := e.rd.member(ev.Data, "message"); isObject(msg) && e.rd.anthropicUsage(msg, &w) {
			e.anth.merge(&w)
			e.u = e.anth.usage()
		}
	case "message_delta":
		if ev.Truncated {
			return
		}
		var w anthropicUsage
		if e.rd.anthropicUsage(ev.Data, &w) {
			e.anth.merge(&w)
			e.u = e.anth.usage()
			// message_start's output_tokens is a placeholder; this
			// count is the answer's.
			e.finalUsage = true
		}
	}
}

// geminiChunk handles one GenerateContentResponse of a Gemini stream
// (SSE data or JSON array element). Usage is cumulative: the last wins.
//
// Every Gemini chunk carries usageMetadata, so decoding each would cost
// allocations per chunk; instead the latest usageMetadata object is copied
// aside (a few hundred bytes, bounded) and decoded once, when the result is
// needed. Only a chunk that may end the answer is read further.
func (e *Extractor) geminiChunk(data []byte) {
	var vals [3][]byte
	e.rd.members(data, geminiMeterMembers, vals[:])
	hasUsage := false
	if obj := vals[0]; isObject(obj) && len(obj) <= maxUsageObject {
		e.gemLast = append(e.gemLast[:0], obj...)
		e.gemPending = true
		hasUsage = true
	}
	if !e.rd.geminiFinal(vals[1], vals[2], &e.list) {
		if e.mode == modeJSON {
			// A chunk after the last one (another candidate still
			// going) brings content the final usage did not cover.
			// (In SSE mode eventContent tells; the JSON array is
			// measured as one document.)
			e.finalUsage = false
		}
		return
	}
	e.terminal = true
	// Earlier chunks' counts are partial (often prompt only); the last
	// chunk's cover the answer.
	e.finalUsage = hasUsage
}

// flushGemini decodes the latest Gemini usageMetadata seen.
func (e *Extractor) flushGemini() {
	if !e.gemPending {
		return
	}
	e.gemPending = false
	var w geminiUsage
	if json.Unmarshal(e.gemLast, &w) == nil {
		interrupted := e.u.Interrupted
		e.u = w.usage()
		e.u.Interrupted = interrupted
	}
}

// Finish ends the body. complete reports whether it was read to its end
// without error (false when the upstream connection broke or the client
// went away). Writes after Finish are ignored.
func (e *Extractor) Finish(complete bool) {
	if e.finished {
		return
	}
	e.finished = true
	switch e.mode {
	case modeSSE:
		e.sse.End()
	case modeJSON:
		if e.json.done {
			e.terminal = true
		}
	}
	e.flushGemini() // after End, which may dispatch a last chunk
	e.u.Interrupted = !complete || !e.terminal
	if e.usageFinal() {
		return
	}
	// The answer's own count never came: bill what was delivered. An
	// answer that ended cleanly with neither content nor usage (an error
	// document) has nothing to estimate.
	est := e.estimate()
	if !e.u.Interrupted && est == 0 {
		return
	}
	e.u.Estimated = true
	e.u.OutputTokens = max(e.u.OutputTokens, est)
	if est > 0 {
		e.u.Found = true
	}
}

// usageFinal reports whether the usage seen covers the whole answer, so
// that it is the provider's count and nothing needs estimating.
func (e *Extractor) usageFinal() bool {
	if e.mode == modeJSON && !e.json.array {
		// A non-streamed document: its usage is final once it closed.
		return e.json.done && e.u.Found
	}
	return e.finalUsage
}

// estimate returns the output tokens estimated from the content seen.
func (e *Extractor) estimate() int64 {
	if e.mode == modeJSON {
		return e.doc.m.tokens()
	}
	return e.events.tokens()
}

// OutputSoFar returns the output tokens delivered so far: the provider's
// count once its final usage has arrived, else the larger of the count
// reported so far and the estimate from the content that passed (complete
// SSE events, and in a JSON body every byte). It is cheap enough to call
// after every Write: it decodes nothing.
func (e *Extractor) OutputSoFar() int64 {
	if e.usageFinal() {
		e.flushGemini() // at most once: the final chunk's usage
		return e.u.OutputTokens
	}
	return max(e.u.OutputTokens, e.estimate())
}

// EndsAtTerminal reports whether the last complete event of an SSE
// stream was its terminal one (chat's [DONE], message_stop, Responses'
// response.completed and its kin, Gemini's chunk with a finishReason):
// an answer that stops there has lost nothing. An event after it (a
// provider that went on) makes it false again; so does a JSON body.
// Gemini's finishReason ends one candidate: a caller that asked for
// several must look further.
func (e *Extractor) EndsAtTerminal() bool {
	return e.mode == modeSSE && e.lastTerminal && !e.sse.inEvent()
}

// JSONDone reports whether a JSON answer (a document, or Gemini's array
// stream) has been read to its closing bracket: an answer that stops
// after it has lost nothing.
func (e *Extractor) JSONDone() bool { return e.mode == modeJSON && e.json.done }

// BodyFormat is the format of an answer, as read from its bytes.
type BodyFormat uint8

const (
	FormatUnknown   BodyFormat = iota // nothing but whitespace yet
	FormatSSE                         // server-sent events
	FormatJSON                        // one JSON document
	FormatJSONArray                   // a JSON array (Gemini's array stream)
)

// Format is what the answer's first bytes say it is, whatever its
// Content-Type claimed.
func (e *Extractor) Format() BodyFormat {
	switch {
	case e.mode == modeSSE:
		return FormatSSE
	case e.mode == modeJSON && e.json.array:
		return FormatJSONArray
	case e.mode == modeJSON:
		return FormatJSON
	}
	return FormatUnknown
}

// EventEnd returns the number of body bytes written up to and including
// the end of the last complete event: the blank line that dispatched it in
// an SSE stream, the end of the last array element in Gemini's JSON-array
// stream. It is 0 before the first, and for a single JSON document. A
// gateway that ends a stream early cuts it there, so the client never
// sees half an event.
func (e *Extractor) EventEnd() int64 {
	var n int64
	switch e.mode {
	case modeSSE:
		n = e.sse.EventEnd()
	case modeJSON:
		n = e.doc.elemEnd
	}
	if n == 0 {
		return 0
	}
	return e.skipped + n
}

// eventContent measures the answer content of one SSE event of type typ
// (Responses and Anthropic; "" for the others) and reports whether it had
// any. Event types that repeat content already streamed (Responses' *.done
// and response.completed, Anthropic's content_block_start and
// message_start) are skipped.
func (e *Extractor) eventContent(ev *SSEEvent, typ string) bool {
	if ev.Truncated || len(ev.Data) == 0 || !e.contentEvent(typ) {
		return false
	}
	m := measureEvent(ev.Data, contentMembers(e.api, true))
	if m.values == 0 {
		return false
	}
	e.events.units += m.units
	e.events.values += m.values
	return true
}

// contentEvent reports whether an event of type typ can carry answer
// content that no other event repeats.
func (e *Extractor) contentEvent(t string) bool {
	switch e.api {
	case config.AnthropicMessages:
		return t == "content_block_delta"
	case config.OpenAIResponses:
		// response.output_text.delta, response.function_call_arguments.delta,
		// response.reasoning_summary_text.delta, response.reasoning_text.delta,
		// response.refusal.delta, response.custom_tool_call_input.delta, ...;
		// not response.audio.delta, whose delta is base64 audio.
		return len(t) > len("response..delta") && t[:len("response.")] == "response." &&
			t[len(t)-len(".delta"):] == ".delta" && t != "response.audio.delta"
	}
	return true
}

// Result returns the usage seen so far; after Finish it is final.
func (e *Extractor) Result() Usage {
	e.flushGemini()
	if e.tier != "" && e.u.ServiceTier == "" {
		e.u.ServiceTier = e.tier
	}
	return e.u
}

// unmarshalFresh decodes val into a zeroed *w with encoding/json, for
// what the fast decoders leave to it (they may have filled *w partly).
func unmarshalFresh[T any](val []byte, w *T) bool {
	var zero T
	*w = zero
	return json.Unmarshal(val, w) == nil
}
