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

	u          Usage
	gemLast    []byte // latest Gemini usageMetadata object, not yet decoded
	gemPending bool
	anth       anthropicState
	terminal   bool // the terminal event (or the end of the JSON) was seen
	finished   bool
	maxEvent   int // test hook; 0 means the defaults
	maxObject  int
}

// NewExtractor returns an extractor for a response of the given API.
// stream is the request's stream flag. It is kept for the caller's record
// only: the body format is detected from the body itself, so a JSON error
// answering a streamed request, or Gemini's JSON-array stream, is read
// correctly whatever the flag says.
func NewExtractor(api config.API, stream bool) *Extractor {
	return &Extractor{api: api, stream: stream}
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
	}
	return n, nil
}

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
		e.json.keys = []string{"usage", "usageMetadata"}
		e.json.onValue = e.onJSONValue
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
			e.anth.merge(&w)
			e.u = e.anth.usage()
		}
	}
}

// onEvent handles one SSE event.
func (e *Extractor) onEvent(ev *SSEEvent) {
	switch e.api {
	case config.OpenAIChat:
		e.openAIChatEvent(ev)
	case config.OpenAIResponses:
		e.responsesEvent(ev)
	case config.AnthropicMessages:
		e.anthropicEvent(ev)
	case config.GeminiGenerateContent:
		if !ev.Truncated {
			e.geminiChunk(ev.Data)
		}
	}
}

func (e *Extractor) openAIChatEvent(ev *SSEEvent) {
	if string(ev.Data) == "[DONE]" {
		e.terminal = true
		return
	}
	if !hasObjectField(ev.Data, `"usage"`) {
		return
	}
	var c struct {
		Usage *openAIChatUsage `json:"usage"`
	}
	if json.Unmarshal(ev.Data, &c) == nil && c.Usage != nil {
		e.u = c.Usage.usage() // cumulative: the latest report wins
	}
}

func (e *Extractor) responsesEvent(ev *SSEEvent) {
	typ := string(ev.Event)
	if typ == "" && !ev.Truncated {
		typ = eventType(ev.Data)
	}
	switch typ {
	case "response.completed", "response.incomplete", "response.failed":
		e.terminal = true
	default:
		return
	}
	if ev.Truncated || !hasObjectField(ev.Data, `"usage"`) {
		return
	}
	var c struct {
		Response struct {
			Usage *responsesUsage `json:"usage"`
		} `json:"response"`
	}
	if json.Unmarshal(ev.Data, &c) == nil && c.Response.Usage != nil {
		e.u = c.Response.Usage.usage()
	}
}

func (e *Extractor) anthropicEvent(ev *SSEEvent) {
	typ := string(ev.Event)
	if typ == "" && !ev.Truncated {
		typ = eventType(ev.Data)
	}
	switch typ {
	case "message_stop":
		e.terminal = true
		return
	case "message_start":
		if ev.Truncated {
			return
		}
		var c struct {
			Message struct {
				Usage *anthropicUsage `json:"usage"`
			} `json:"message"`
		}
		if json.Unmarshal(ev.Data, &c) == nil && c.Message.Usage != nil {
			e.anth.merge(c.Message.Usage)
			e.u = e.anth.usage()
		}
	case "message_delta":
		if ev.Truncated {
			return
		}
		var c struct {
			Usage *anthropicUsage `json:"usage"`
		}
		if json.Unmarshal(ev.Data, &c) == nil && c.Usage != nil {
			e.anth.merge(c.Usage)
			e.u = e.anth.usage()
		}
	}
}

// geminiChunk handles one GenerateContentResponse of a Gemini stream
// (SSE data or JSON array element). Usage is cumulative: the last wins.
//
// Every Gemini chunk carries usageMetadata, so decoding each would cost
// allocations per chunk; instead the latest usageMetadata object is copied
// aside (a few hundred bytes, bounded) and decoded once, when the result is
// needed. Only a chunk that may end the answer is decoded in full.
func (e *Extractor) geminiChunk(data []byte) {
	if obj := objectField(data, `"usageMetadata"`); obj != nil && len(obj) <= maxUsageObject {
		e.gemLast = append(e.gemLast[:0], obj...)
		e.gemPending = true
	}
	if !hasObjectField(data, `"promptFeedback"`) && !bytesContains(data, `"finishReason"`) {
		return
	}
	var c geminiChunk
	if json.Unmarshal(data, &c) == nil && c.final() {
		e.terminal = true
	}
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
	e.flushGemini()
	switch e.mode {
	case modeSSE:
		e.sse.End()
	case modeJSON:
		if e.json.done {
			e.terminal = true
		}
	}
	e.u.Interrupted = !complete || !e.terminal
}

// Result returns the usage seen so far; after Finish it is final.
func (e *Extractor) Result() Usage {
	e.flushGemini()
	return e.u
}

// unmarshalFresh decodes val into a zeroed *w with encoding/json, for
// what the fast decoders leave to it (they may have filled *w partly).
func unmarshalFresh[T any](val []byte, w *T) bool {
	var zero T
	*w = zero
	return json.Unmarshal(val, w) == nil
}
