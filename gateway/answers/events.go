package answers

import (
	"bytes"
	"encoding/json"

	"github.com/tsplug/ts-plug/gateway/config"
)

// utf8BOM may start an SSE stream; the SSE standard says to drop it.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// splitAnswer cuts an answer body into its JSON objects, in order, and
// says whether the body was one whole JSON object (a non-streamed
// answer, or an error the provider sent instead of a stream).
//
// A body starting with '{' is one object; if it does not parse (it was
// cut at the capture limit) nothing is readable, because encoding/json
// has no partial documents. A body starting with '[' is Gemini's stream
// without alt=sse: its elements are read one by one, so a cut array
// yields every element before the cut. Anything else is read as
// server-sent events (see sseData). Elements or events that are not JSON
// objects ("[DONE]", pings of other shapes, a cut last event) are left
// out: every API's events are objects.
//
// The returned messages never share memory with body.
func splitAnswer(body []byte) (objs []json.RawMessage, whole bool) {
	body = bytes.TrimPrefix(body, utf8BOM)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, false
	}
	switch trimmed[0] {
	case '{':
		if !json.Valid(trimmed) {
			return nil, false
		}
		return []json.RawMessage{bytes.Clone(trimmed)}, true
	case '[':
		return arrayObjects(trimmed), false
	}
	for _, data := range sseData(body) {
		if isObject(data) {
			objs = append(objs, data)
		}
	}
	return objs, false
}

// arrayObjects reads the object elements of a JSON array, stopping at the
// first element that does not parse (where the array was cut).
func arrayObjects(b []byte) []json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil
	}
	var out []json.RawMessage
	for dec.More() {
		var m json.RawMessage
		if err := dec.Decode(&m); err != nil {
			break
		}
		if len(m) > 0 && m[0] == '{' {
			out = append(out, m) // Decode copies into m: no aliasing
		}
	}
	return out
}

// isObject reports whether b is exactly one JSON object.
func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// sseData returns the data of each event of an SSE stream, as the
// WHATWG server-sent events rules read it: lines end in LF, CRLF or CR;
// a blank line ends an event; "data:" lines of one event are joined with
// "\n"; one space after the colon is dropped; comments (":") and other
// fields (event, id, retry) are skipped. Unlike a browser it also keeps
// the last event when the stream ends without its blank line: a stream
// cut right after a data line still carries that event whole, and a data
// line cut in the middle is not valid JSON, which the caller drops.
func sseData(body []byte) [][]byte {
	var out [][]byte
	var data []byte
	have := false // a data line was seen since the last dispatch
	dispatch := func() {
		if have {
			out = append(out, data)
		}
		data, have = nil, false
	}
	for len(body) > 0 {
		var line []byte
		i := bytes.IndexAny(body, "\r\n")
		if i < 0 {
			line, body = body, nil
		} else {
			line = body[:i]
			if body[i] == '\r' && i+1 < len(body) && body[i+1] == '\n' {
				i++
			}
			body = body[i+1:]
		}
		if len(line) == 0 {
			dispatch()
			continue
		}
		field, value, found := bytes.Cut(line, []byte(":"))
		if !found {
			value = nil
		}
		if string(field) != "data" {
			continue // a comment (empty field), event, id, retry or unknown field
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if have {
			data = append(data, '\n')
		} else {
			data = []byte{} // a fresh slice: never body's memory
		}
		data = append(data, value...)
		have = true
	}
	dispatch()
	return out
}

// RawResponses returns the answer's JSON objects: each server-sent event's
// data (or each element of Gemini's JSON-array stream) that is a JSON
// object, in order, or the answer itself as the only element when it is
// one JSON object. It is nil when nothing is readable (an empty body, a
// cut JSON answer, a stream without a complete event). The framing is
// read from the bytes, the same for every api: the four APIs share it.
func RawResponses(_ config.API, answer []byte) []json.RawMessage {
	objs, _ := splitAnswer(answer)
	return objs
}
