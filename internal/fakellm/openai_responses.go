package fakellm

import (
	"fmt"
	"net/http"
	"time"
)

// maxStoredResponses bounds the responses kept for GET /v1/responses/{id}.
const maxStoredResponses = 1000

// storedResponse is what GET /v1/responses/{id} needs to rebuild a
// response. The text is a replyText, so a stored gigabyte reply costs a few
// bytes.
type storedResponse struct {
	id, msgID string
	model     string
	created   int64
	usage     Usage
	txt       replyText
	// tool is the function call the response asks for (nil: none), with
	// its item and call IDs.
	tool         *toolCall
	fcID, callID string
}

// showText reports whether the output has its message item: always
// without a tool call, and with one unless the text is empty.
func (r storedResponse) showText() bool { return r.tool == nil || r.txt.Len() > 0 }

// output is the completed response's output items: the message, then the
// function call.
func (r storedResponse) output() []any {
	var out []any
	if r.showText() {
		out = append(out, r.message("completed", []any{outputText(textMarker)}))
	}
	if r.tool != nil {
		out = append(out, r.tool.functionCallItem(r.fcID, r.callID, "completed", r.tool.args))
	}
	return out
}

// responseStore holds created responses, oldest dropped first.
type responseStore struct {
	byID  map[string]storedResponse
	order []string
}

func (s *Server) storeResponse(r storedResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := &s.responses
	if rs.byID == nil {
		rs.byID = map[string]storedResponse{}
	}
	rs.byID[r.id] = r
	rs.order = append(rs.order, r.id)
	for len(rs.order) > maxStoredResponses {
		delete(rs.byID, rs.order[0])
		rs.order = rs.order[1:]
	}
}

func (s *Server) lookupResponse(id string, remove bool) (storedResponse, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.responses.byID[id]
	if ok && remove {
		delete(s.responses.byID, id)
	}
	return r, ok
}

// object is the response object in the given status; output and usage
// are filled only once completed.
func (r storedResponse) object(status string) obj {
	var output []any
	var usage, completedAt any
	if status == "completed" {
		output = r.output()
		usage = r.usage.openAIResponsesUsage()
		completedAt = r.created
	} else {
		output = []any{}
	}
	return obj{
		{"id", r.id},
		{"object", "response"},
		{"created_at", r.created},
		{"status", status},
		{"background", false},
		{"completed_at", completedAt},
		{"error", nil},
		{"incomplete_details", nil},
		{"instructions", nil},
		{"max_output_tokens", nil},
		{"max_tool_calls", nil},
		{"model", r.model},
		{"output", output},
		{"parallel_tool_calls", true},
		{"previous_response_id", nil},
		{"reasoning", obj{{"effort", nil}, {"summary", nil}}},
		{"service_tier", "default"},
		{"store", true},
		{"temperature", 1.0},
		{"text", obj{{"format", obj{{"type", "text"}}}, {"verbosity", "medium"}}},
		{"tool_choice", "auto"},
		{"tools", []any{}},
		{"top_p", 1.0},
		{"truncation", "disabled"},
		{"usage", usage},
		{"user", nil},
		{"metadata", obj{}},
	}
}

// message is the output message item.
func (r storedResponse) message(status string, content []any) obj {
	return obj{
		{"id", r.msgID},
		{"type", "message"},
		{"status", status},
		{"content", content},
		{"role", "assistant"},
	}
}

// outputText is an output_text content part with the given text.
func outputText(text string) obj {
	return obj{{"type", "output_text"}, {"annotations", []any{}}, {"logprobs", []any{}}, {"text", text}}
}

// createResponse answers POST /v1/responses: a response object, or with
// "stream": true the events response.created, response.in_progress,
// response.output_item.added, response.content_part.added, the
// response.output_text.delta events, response.output_text.done,
// response.content_part.done, response.output_item.done and
// response.completed (which carries the usage), each with its
// sequence_number. A tool call follows the message as a function_call item
// with its own events. Unless "store" is false the response is kept for GET and
// DELETE /v1/responses/{id}.
func (x *exchange) createResponse() error {
	now := time.Now()
	r := storedResponse{
		id:      "resp_" + objectID(now),
		msgID:   "msg_" + objectID(now),
		model:   x.call.model,
		created: now.Unix(),
		usage:   x.set.usage,
		txt:     x.txt,
		tool:    x.tool,
		fcID:    "fc_" + randID() + randID(),
		callID:  "call_" + randID(),
	}
	if x.call.store {
		x.s.storeResponse(r)
	}
	if !x.call.stream {
		return x.writeJSON(r.object("completed"), x.txt)
	}

	ev, err := x.events("text/event-stream; charset=utf-8")
	if err != nil {
		return err
	}
	none := replyText{}
	// event sends one event; its sequence_number is its place in the stream.
	event := func(typ string, fields obj, t replyText) error {
		o := append(obj{{"type", typ}, {"sequence_number", ev.sent}}, fields...)
		return ev.send(typ, o, t)
	}
	for _, typ := range []string{"response.created", "response.in_progress"} {
		if err := event(typ, obj{{"response", r.object("in_progress")}}, none); err != nil {
			return err
		}
	}
	index := 0 // output_index of the next item
	if r.showText() {
		if err := x.streamResponseMessage(r, event); err != nil {
			return err
		}
		index++
	}
	if r.tool != nil {
		if err := streamFunctionCall(r, index, x.set.chunks, event); err != nil {
			return err
		}
	}
	if err := event("response.completed", obj{{"response", r.object("completed")}}, x.txt); err != nil {
		return err
	}
	return ev.finish()
}

// streamResponseMessage streams the message item with the reply text.
func (x *exchange) streamResponseMessage(r storedResponse, event func(string, obj, replyText) error) error {
	ev := x.ev
	none := replyText{}
	where := obj{{"item_id", r.msgID}, {"output_index", 0}, {"content_index", 0}}
	steps := []struct {
		typ    string
		fields obj
	}{
		{"response.output_item.added", obj{{"output_index", 0}, {"item", r.message("in_progress", []any{})}}},
		{"response.content_part.added", append(where, kv{"part", outputText("")})},
	}
	for _, st := range steps {
		if err := event(st.typ, st.fields, none); err != nil {
			return err
		}
	}
	// The delta events differ only in sequence_number and text: encode the
	// rest once and splice the number in, so huge replies stay cheap.
	rest, err := compile(append(where, kv{"delta", textMarker}, kv{"logprobs", []any{}}))
	if err != nil {
		return err
	}
	var buf []byte
	for p := range x.txt.pieces(x.set.chunks) {
		buf = fmt.Appendf(buf[:0], `{"type":"response.output_text.delta","sequence_number":%d,%s`, ev.sent, rest[1:])
		if err := ev.send("response.output_text.delta", compiled(buf), p); err != nil {
			return err
		}
	}
	steps = []struct {
		typ    string
		fields obj
	}{
		{"response.output_text.done", append(where, kv{"text", textMarker}, kv{"logprobs", []any{}})},
		{"response.content_part.done", append(where, kv{"part", outputText(textMarker)})},
		{"response.output_item.done", obj{{"output_index", 0}, {"item", r.message("completed", []any{outputText(textMarker)})}}},
	}
	for _, st := range steps {
		if err := event(st.typ, st.fields, x.txt); err != nil {
			return err
		}
	}
	return nil
}

// getResponse answers GET /v1/responses/{id}.
func (x *exchange) getResponse() error {
	r, ok := x.s.lookupResponse(x.route.id, false)
	if !ok {
		x.writeError(notFoundResponse(x.route.id))
		return nil
	}
	return x.writeJSON(r.object("completed"), r.txt)
}

// deleteResponse answers DELETE /v1/responses/{id}.
func (x *exchange) deleteResponse() error {
	if _, ok := x.s.lookupResponse(x.route.id, true); !ok {
		x.writeError(notFoundResponse(x.route.id))
		return nil
	}
	return x.writeJSON(obj{{"id", x.route.id}, {"object", "response.deleted"}, {"deleted", true}}, replyText{})
}

func notFoundResponse(id string) apiError {
	return apiError{status: http.StatusNotFound, message: fmt.Sprintf("Response with id '%s' not found.", id)}
}
