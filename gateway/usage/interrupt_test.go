package usage

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// cutEvent is one event of a stream (its raw bytes, blank line included)
// and the answer content it delivers, in bytes of JSON string text.
type cutEvent struct {
	raw     string
	content int
	final   bool // carries the answer's final usage
	comment bool // dispatches no event (an SSE comment)
}

// cutStream is a realistic stream to be cut everywhere.
type cutStream struct {
	name  string
	api   config.API
	array bool // Gemini's JSON-array form: events are array elements
	// placeholder is the output count reported before the final usage
	// (Anthropic's message_start 1); the estimate never goes below it.
	placeholder int64
	events      []cutEvent
	want        Usage // the complete stream's
}

// q quotes s as a JSON string.
func q(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// rawLen is the length of s inside a JSON string, as the meter sees it.
func rawLen(s string) int { return len(q(s)) - 2 }

func sseEvent(name, data string) string {
	if name != "" {
		return "event: " + name + "\n" + "data: " + data + "\n\n"
	}
	return "data: " + data + "\n\n"
}

func chatCutStream() cutStream {
	chunk := func(delta string) string {
		return `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":null}],"usage":null}`
	}
	var evs []cutEvent
	add := func(delta string, content int) {
		evs = append(evs, cutEvent{raw: sseEvent("", chunk(delta)), content: content})
	}
	add(`{"role":"assistant","content":"","refusal":null}`, 0)
	for _, r := range []string{"The user wants the weather in Paris; ", "I should call the tool first."} {
		add(`{"reasoning_content":`+q(r)+`}`, rawLen(r))
	}
	for _, c := range []string{"Let me check the weather ", "in \"Paris\" for you.\n", "One moment: fetching now."} {
		add(`{"content":`+q(c)+`}`, rawLen(c))
	}
	evs = append(evs, cutEvent{raw: ": keep-alive\n\n", comment: true})
	add(`{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}`, 0)
	for _, a := range []string{`{"city": "Paris", `, `"unit": "celsius"}`} {
		add(`{"tool_calls":[{"index":0,"function":{"arguments":`+q(a)+`}}]}`, rawLen(a))
	}
	evs = append(evs,
		cutEvent{raw: sseEvent("", `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}`)},
		cutEvent{raw: sseEvent("", `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":900,"completion_tokens":60,"total_tokens":960,"prompt_tokens_details":{"cached_tokens":512},"completion_tokens_details":{"reasoning_tokens":20}}}`), final: true},
		cutEvent{raw: "data: [DONE]\n\n"})
	return cutStream{name: "chat", api: config.OpenAIChat, events: evs,
		want: Usage{InputTokens: 388, CachedTokens: 512, OutputTokens: 60, ReasoningTokens: 20, Found: true}}
}

func responsesCutStream() cutStream {
	var evs []cutEvent
	seq := 0
	add := func(typ, fields string, content int) {
		evs = append(evs, cutEvent{raw: sseEvent(typ, fmt.Sprintf(`{"type":%q,"sequence_number":%d,%s}`, typ, seq, fields)), content: content})
		seq++
	}
	inProgress := `"response":{"id":"resp_1","object":"response","status":"in_progress","output":[],"usage":null}`
	add("response.created", inProgress, 0)
	add("response.in_progress", inProgress, 0)
	add("response.output_item.added", `"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}`, 0)
	summary := []string{"**Planning** The user wants ", "a short haiku about autumn."}
	for _, s := range summary {
		add("response.reasoning_summary_text.delta", `"item_id":"rs_1","output_index":0,"summary_index":0,"delta":`+q(s), rawLen(s))
	}
	add("response.reasoning_summary_text.done", `"item_id":"rs_1","output_index":0,"summary_index":0,"text":`+q(strings.Join(summary, "")), 0)
	add("response.output_item.added", `"output_index":1,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}`, 0)
	text := []string{"Crimson leaves drift down,\n", "whispering of colder days, ", "the old oak lets go."}
	for _, s := range text {
		add("response.output_text.delta", `"item_id":"msg_1","output_index":1,"content_index":0,"delta":`+q(s)+`,"logprobs":[]`, rawLen(s))
	}
	add("response.output_text.done", `"item_id":"msg_1","output_index":1,"content_index":0,"text":`+q(strings.Join(text, "")), 0)
	add("response.output_item.added", `"output_index":2,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"save","arguments":""}`, 0)
	args := []string{`{"title": "Autumn", `, `"lines": 3}`}
	for _, a := range args {
		add("response.function_call_arguments.delta", `"item_id":"fc_1","output_index":2,"delta":`+q(a), rawLen(a))
	}
	add("response.function_call_arguments.done", `"item_id":"fc_1","output_index":2,"arguments":`+q(strings.Join(args, "")), 0)
	add("response.completed", `"response":{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":`+q(strings.Join(text, ""))+`}]}],"usage":{"input_tokens":300,"input_tokens_details":{"cached_tokens":0},"output_tokens":80,"output_tokens_details":{"reasoning_tokens":30},"total_tokens":380}}`, 0)
	evs[len(evs)-1].final = true
	return cutStream{name: "responses", api: config.OpenAIResponses, events: evs,
		want: Usage{InputTokens: 300, OutputTokens: 80, ReasoningTokens: 30, Found: true}}
}

// anthropicCutStream is a Claude Code-like answer: thinking, text, a tool
// call. repeat multiplies the text deltas, for a long answer.
func anthropicCutStream(repeat int, output int64) cutStream {
	var evs []cutEvent
	add := func(typ, data string, content int) {
		evs = append(evs, cutEvent{raw: sseEvent(typ, data), content: content})
	}
	delta := func(index int, kind, member, s string) {
		add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":%q,%q:%s}}`, index, kind, member, q(s)), rawLen(s))
	}
	add("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":7,"cache_creation_input_tokens":1200,"cache_read_input_tokens":40000,"output_tokens":1,"service_tier":"standard"}}}`, 0)
	add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`, 0)
	delta(0, "thinking_delta", "thinking", "The user asks me to fix the failing test. ")
	delta(0, "thinking_delta", "thinking", "First I should read the file.")
	add("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxfvvQQzuN5ofMEMCZ4hcMOPQ"}}`, 0)
	add("content_block_stop", `{"type":"content_block_stop","index":0}`, 0)
	add("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`, 0)
	add("ping", `{"type": "ping"}`, 0)
	for i := range repeat {
		delta(1, "text_delta", "text", fmt.Sprintf("I'll look at the test file (step %03d) and ", i))
	}
	delta(1, "text_delta", "text", "then run it.")
	add("content_block_stop", `{"type":"content_block_stop","index":1}`, 0)
	add("content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"Read","input":{}}}`, 0)
	delta(2, "input_json_delta", "partial_json", "")
	delta(2, "input_json_delta", "partial_json", `{"file_path": "/src/`)
	delta(2, "input_json_delta", "partial_json", `app_test.go"}`)
	add("content_block_stop", `{"type":"content_block_stop","index":2}`, 0)
	add("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":7,"cache_creation_input_tokens":1200,"cache_read_input_tokens":40000,"output_tokens":%d}}`, output), 0)
	evs[len(evs)-1].final = true
	add("message_stop", `{"type":"message_stop"}`, 0)
	return cutStream{name: "anthropic", api: config.AnthropicMessages, placeholder: 1, events: evs,
		want: Usage{InputTokens: 7, CachedTokens: 40000, CacheCreationTokens: 1200, CacheCreation5mTokens: 1200, OutputTokens: output, ServiceTier: "standard", Found: true}}
}

func geminiCutStream(array bool) cutStream {
	var evs []cutEvent
	part := func(parts string, usage string, extra string) string {
		return `{"candidates":[{"content":{"parts":[` + parts + `],"role":"model"}` + extra + `,"index":0}],"usageMetadata":` + usage + `,"modelVersion":"gemini-2.5-pro","responseId":"r1"}`
	}
	early := `{"promptTokenCount":250,"totalTokenCount":250}`
	add := func(data string, content int) {
		raw := data
		if !array {
			raw = "data: " + data + "\r\n\r\n"
		}
		evs = append(evs, cutEvent{raw: raw, content: content})
	}
	thought := "**Considering the request** The user wants a list of primes."
	add(part(`{"text":`+q(thought)+`,"thought":true}`, early, ""), rawLen(thought))
	for _, s := range []string{"Here are the first primes: ", "2, 3, 5, 7, 11, 13.\n"} {
		add(part(`{"text":`+q(s)+`}`, early, ""), rawLen(s))
	}
	args := `{"numbers":[2,3,5,7,11,13],"label":"primes"}`
	add(part(`{"functionCall":{"name":"store","args":`+args+`},"thoughtSignature":"CiQB0e2Kb8wLcRt1yTn8"}`, early, ""), len(args))
	add(part(`{"text":"Done."}`, `{"promptTokenCount":250,"cachedContentTokenCount":100,"candidatesTokenCount":40,"thoughtsTokenCount":25,"totalTokenCount":315}`, `,"finishReason":"STOP"`), len("Done."))
	evs[len(evs)-1].final = true
	name := "gemini-sse"
	if array {
		name = "gemini-array"
	}
	return cutStream{name: name, api: config.GeminiGenerateContent, array: array, events: evs,
		want: Usage{InputTokens: 150, CachedTokens: 100, OutputTokens: 65, ReasoningTokens: 25, Found: true}}
}

func cutStreams() []cutStream {
	return []cutStream{chatCutStream(), responsesCutStream(), anthropicCutStream(3, 90), geminiCutStream(false), geminiCutStream(true)}
}

// prefix returns the body up to the end of event k (k events complete),
// and the whole body.
func (s cutStream) prefix(k int) string {
	var b strings.Builder
	if s.array {
		b.WriteString("[")
	}
	for i, ev := range s.events[:k] {
		if s.array && i > 0 {
			b.WriteString(",\r\n")
		}
		b.WriteString(ev.raw)
	}
	return b.String()
}

// sep is what comes between the prefix of k events and event k's bytes.
func (s cutStream) sep(k int) string {
	if s.array && k > 0 {
		return ",\r\n"
	}
	if s.array {
		return "["
	}
	return ""
}

func (s cutStream) body() string {
	b := s.prefix(len(s.events))
	if s.array {
		b += "]"
	}
	return b
}

// TestInterruptedStreamsEstimateOutput cuts each stream at every event
// boundary and in the middle of every event, as a client pressing Esc or a
// broken upstream would, and checks that the output billed follows what
// was delivered.
func TestInterruptedStreamsEstimateOutput(t *testing.T) {
	for _, s := range cutStreams() {
		t.Run(s.name, func(t *testing.T) {
			if got := run(s.api, true, true, s.body()); got != s.want {
				t.Fatalf("complete stream:\n got %+v\nwant %+v", got, s.want)
			}
			var last int64
			delivered, finalSeen := 0, false
			lastEnd := 0
			for k := 0; k <= len(s.events); k++ {
				type cut struct {
					body     string
					inFinal  bool // mid-way through the final usage event
					complete int  // content of complete events
					partial  int  // plus what the cut event may have shown
				}
				cuts := []cut{{body: s.prefix(k), complete: delivered, partial: delivered}}
				if k < len(s.events) {
					ev := s.events[k]
					mid := s.prefix(k) + s.sep(k) + ev.raw[:len(ev.raw)/2]
					cuts = append(cuts, cut{body: mid, inFinal: ev.final, complete: delivered, partial: delivered + ev.content})
				}
				for ci, c := range cuts {
					e := NewExtractor(s.api, true)
					e.Write([]byte(c.body))
					soFar := e.OutputSoFar()
					end := e.EventEnd()
					e.Finish(false)
					u := e.Result()
					where := fmt.Sprintf("cut %d/%d (after %d events, %d content bytes)", k, ci, k, c.complete)
					wantEnd := lastEnd
					if ci == 0 && k > 0 && !s.events[k-1].comment {
						wantEnd = len(c.body)
					}
					if int(end) != wantEnd {
						t.Errorf("%s: EventEnd = %d, want %d", where, end, wantEnd)
					}
					if !u.Interrupted {
						t.Errorf("%s: not Interrupted", where)
					}
					if u.OutputTokens < last {
						t.Errorf("%s: OutputTokens %d fell from %d", where, u.OutputTokens, last)
					}
					last = u.OutputTokens
					if finalSeen {
						// The answer's own count arrived: it stands.
						if u.Estimated || u.OutputTokens != s.want.OutputTokens || u.InputTokens != s.want.InputTokens {
							t.Errorf("%s: after final usage got %+v, want %+v", where, u, s.want)
						}
						continue
					}
					if !u.Estimated {
						t.Errorf("%s: Estimated not set: %+v", where, u)
					}
					lo := int64(c.complete) / 8 // half of bytes/4
					hi := max(2*int64(c.partial+3)/4, s.placeholder)
					if c.inFinal {
						hi = max(hi, s.want.OutputTokens) // the final count may be read from a cut event
					}
					if u.OutputTokens < lo || u.OutputTokens > hi {
						t.Errorf("%s: OutputTokens %d, want within [%d, %d]", where, u.OutputTokens, lo, hi)
					}
					if c.complete > 0 && !u.Found {
						t.Errorf("%s: content delivered but Found false", where)
					}
					if soFar > u.OutputTokens {
						t.Errorf("%s: OutputSoFar %d before Finish > billed %d", where, soFar, u.OutputTokens)
					}
					if ci == 0 && soFar != u.OutputTokens {
						t.Errorf("%s: at an event boundary OutputSoFar %d != billed %d", where, soFar, u.OutputTokens)
					}
					// At a boundary the rule of estimate.go applies exactly:
					// content repeated by other events (Responses' *.done,
					// Anthropic's content_block_start) is not counted twice.
					want := int64(c.complete+3) / 4
					if k > 0 {
						want = max(want, s.placeholder) // message_start came
					}
					if ci == 0 && u.OutputTokens != want {
						t.Errorf("%s: OutputTokens %d, want ceil(%d/4) = %d", where, u.OutputTokens, c.complete, want)
					}
				}
				if k < len(s.events) {
					delivered += s.events[k].content
					if s.events[k].final {
						finalSeen = true
					}
					if !s.events[k].comment {
						lastEnd = len(s.prefix(k + 1))
					}
				}
			}
		})
	}
}

// TestAnthropicCutAfterLongAnswer is issue #12's case: about 20 KB of text
// (≈5,000 tokens) delivered, then the client cut the stream just before
// message_delta. It was billed as output_tokens 1.
func TestAnthropicCutAfterLongAnswer(t *testing.T) {
	s := anthropicCutStream(500, 5200)
	cut := len(s.events) - 2 // message_delta and message_stop never came
	body := s.prefix(cut)
	delivered := 0
	for _, ev := range s.events[:cut] {
		delivered += ev.content
	}
	if delivered < 20_000 {
		t.Fatalf("test stream delivers only %d bytes", delivered)
	}
	u := run(config.AnthropicMessages, true, false, body)
	if !u.Estimated || !u.Interrupted || !u.Found {
		t.Errorf("flags: %+v", u)
	}
	if lo, hi := int64(delivered/8), int64(delivered/2); u.OutputTokens < lo || u.OutputTokens > hi {
		t.Errorf("OutputTokens = %d for %d bytes delivered, want within [%d, %d]", u.OutputTokens, delivered, lo, hi)
	}
	// The input side is the provider's own, from message_start.
	if u.InputTokens != 7 || u.CachedTokens != 40000 || u.CacheCreationTokens != 1200 {
		t.Errorf("input counts changed: %+v", u)
	}
	// OutputSoFar tracked it while streaming.
	e := NewExtractor(config.AnthropicMessages, true)
	var prev int64
	for rest := body; rest != ""; {
		n := min(len(rest), 700)
		e.Write([]byte(rest[:n]))
		rest = rest[n:]
		if got := e.OutputSoFar(); got < prev {
			t.Fatalf("OutputSoFar fell from %d to %d", prev, got)
		} else {
			prev = got
		}
	}
	if prev < int64(delivered/8) {
		t.Errorf("OutputSoFar = %d after %d bytes", prev, delivered)
	}
}

// cutDocument is a non-streamed answer, cut mid-way.
type cutDocument struct {
	name    string
	api     config.API
	body    string
	content int // content bytes in the body
	want    Usage
}

func cutDocuments() []cutDocument {
	text := strings.Repeat("All tests pass now; the fix was in the parser. ", 20)
	args := `{"path":"/src/main.go","line":42}`
	return []cutDocument{
		{"chat", config.OpenAIChat,
			`{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":` + q(text) + `,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"open","arguments":` + q(args) + `}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":100,"completion_tokens":300}}`,
			len(text) + rawLen(args), Usage{InputTokens: 100, OutputTokens: 300, Found: true}},
		{"responses", config.OpenAIResponses,
			`{"id":"resp_1","object":"response","status":"completed","text":{"format":{"type":"text"}},"output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"thinking briefly"}]},{"type":"message","content":[{"type":"output_text","text":` + q(text) + `}]}],"usage":{"input_tokens":100,"output_tokens":300}}`,
			len("thinking briefly") + len(text), Usage{InputTokens: 100, OutputTokens: 300, Found: true}},
		{"anthropic", config.AnthropicMessages,
			`{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"short thought","signature":"Eq"},{"type":"text","text":` + q(text) + `},{"type":"tool_use","id":"t","name":"open","input":` + args + `}],"usage":{"input_tokens":100,"output_tokens":300}}`,
			len("short thought") + len(text) + len(args), Usage{InputTokens: 100, OutputTokens: 300, Found: true}},
		{"gemini", config.GeminiGenerateContent,
			`{"candidates":[{"content":{"parts":[{"text":` + q(text) + `},{"functionCall":{"name":"open","args":` + args + `}}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":300,"totalTokenCount":400}}`,
			len(text) + len(args), Usage{InputTokens: 100, OutputTokens: 300, Found: true}},
	}
}

// TestInterruptedDocumentEstimatesOutput cuts non-streamed answers at every
// byte: the estimate grows with what passed, and a whole document keeps
// the provider's counts.
func TestInterruptedDocumentEstimatesOutput(t *testing.T) {
	for _, d := range cutDocuments() {
		t.Run(d.name, func(t *testing.T) {
			if got := run(d.api, false, true, d.body); got != d.want {
				t.Fatalf("whole document: got %+v, want %+v", got, d.want)
			}
			usageAt := strings.Index(d.body, `"usage`)
			var last int64
			for i := 0; i < len(d.body); i++ {
				u := run(d.api, false, false, d.body[:i])
				if i > 0 && !u.Estimated {
					t.Fatalf("cut at %d: not Estimated: %+v", i, u)
				}
				if u.OutputTokens < last {
					t.Fatalf("cut at %d: OutputTokens %d fell from %d", i, u.OutputTokens, last)
				}
				last = u.OutputTokens
				if i == usageAt {
					// All content passed, the usage did not.
					lo, hi := int64(d.content/8), int64(2*(d.content+3)/4)
					if u.OutputTokens < lo || u.OutputTokens > hi || !u.Found {
						t.Errorf("cut before usage: OutputTokens %d for %d content bytes, want within [%d, %d]", u.OutputTokens, d.content, lo, hi)
					}
				}
			}
		})
	}
}
