package usage

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tsplug/ts-plug/gateway/bytescan"
	"github.com/tsplug/ts-plug/gateway/config"
)

func TestTokensFor(t *testing.T) {
	tests := []struct {
		name string
		text string // raw bytes of one content value
		want int64
	}{
		{"empty", "", 0},
		{"one byte is one token", "a", 1},
		{"four ASCII bytes", "abcd", 1},
		{"five ASCII bytes round up", "abcde", 2},
		{"prose", "The quick brown fox jumps over the lazy dog.", 11},
		{"CJK: a token per rune, not per byte", "你好世界", 4},
		{"accented Latin", "café", 2},        // c a f (3) + é (4) = 7 units
		{"emoji", "👍", 1},                    // one rune
		{"escapes count raw", `a\n\"b\"`, 2}, // 8 bytes
		{"escaped CJK", `\u4f60\u597d`, 3},   // 12 bytes
		{"long ASCII run then non-ASCII", strings.Repeat("x", 16) + "é", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m contentMeasure
			m.add([]byte(tt.text))
			if got := m.tokens(); got != tt.want {
				t.Errorf("tokens(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
	// Many one-token deltas: at least one token each.
	if got := tokensFor(10, 10); got != 10 {
		t.Errorf("ten 1-byte deltas = %d tokens, want 10", got)
	}
}

// TestMeasureEvent pins which members count, and the decoys that must not.
func TestMeasureEvent(t *testing.T) {
	tests := []struct {
		name   string
		api    config.API
		stream bool
		data   string
		units  int64
		values int64
	}{
		{"chat content", config.OpenAIChat, true,
			`{"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}`, 5, 1},
		{"chat role chunk: empty content", config.OpenAIChat, true,
			`{"choices":[{"delta":{"role":"assistant","content":""}}]}`, 0, 0},
		{"chat reasoning and tool arguments", config.OpenAIChat, true,
			`{"choices":[{"delta":{"reasoning_content":"think","tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"a\":1}"}}]}}]}`, 5 + 9, 2},
		{"chat content holding a decoy member", config.OpenAIChat, true,
			`{"choices":[{"delta":{"content":"say \"content\": \"x\""}}]}`, 22, 1},
		{"chat spaces around the colon", config.OpenAIChat, true,
			`{"choices" : [ { "delta" : { "content" : "abc" } } ] }`, 3, 1},
		{"chat value equal to a member name is no member", config.OpenAIChat, true,
			`{"object":"content","x":"y"}`, 0, 0},
		{"chat cut mid-string", config.OpenAIChat, true,
			`{"choices":[{"delta":{"content":"Hello wor`, 9, 1},
		{"responses delta", config.OpenAIResponses, true,
			`{"type":"response.output_text.delta","item_id":"msg_1","delta":"Hi there"}`, 8, 1},
		{"responses text member ignored in events", config.OpenAIResponses, true,
			`{"type":"response.output_text.done","text":"Hi there"}`, 0, 0},
		{"anthropic text_delta", config.AnthropicMessages, true,
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`, 5, 1},
		{"anthropic type text is no member", config.AnthropicMessages, true,
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`, 0, 0},
		{"anthropic input_json_delta", config.AnthropicMessages, true,
			`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}}`, 16, 1},
		{"anthropic thinking_delta", config.AnthropicMessages, true,
			`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me see"}}`, 10, 1},
		{"anthropic signature_delta is not content", config.AnthropicMessages, true,
			`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}`, 0, 0},
		{"anthropic tool_use input as a whole (document)", config.AnthropicMessages, false,
			`{"content":[{"type":"tool_use","id":"t","name":"f","input":{"text":"abc","n":[1,2]}}]}`, 24, 1},
		{"gemini text and thought", config.GeminiGenerateContent, true,
			`{"candidates":[{"content":{"parts":[{"text":"hm","thought":true},{"text":"Hi","thoughtSignature":"c2ln"}]}}]}`, 4, 2},
		{"gemini functionCall args as a whole", config.GeminiGenerateContent, true,
			`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"q":"a b"}}}]}}]}`, 11, 1},
		{"gemini args cut mid-object", config.GeminiGenerateContent, true,
			`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"q":"a`, 7, 1},
		{"not JSON", config.OpenAIChat, true, `[DONE]`, 0, 0},
		{"CJK content", config.GeminiGenerateContent, true, `{"text":"你好"}`, 8, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := measureEvent([]byte(tt.data), contentMembers(tt.api, tt.stream))
			if m.units != tt.units || m.values != tt.values {
				t.Errorf("measureEvent = %+v, want units %d values %d", m, tt.units, tt.values)
			}
			if !tt.stream || !json.Valid([]byte(tt.data)) {
				return
			}
			// The document scanner reads the same members the same way.
			var s contentScanner
			s.members = contentMembers(tt.api, true)
			s.Write([]byte(tt.data))
			if s.m != m {
				t.Errorf("contentScanner = %+v, measureEvent %+v", s.m, m)
			}
		})
	}
}

// referenceMeasure measures content with encoding/json's tokenizer, for
// documents without escapes (so decoded strings are their raw bytes).
func referenceMeasure(data []byte, members []contentMember) (contentMeasure, bool) {
	var m contentMeasure
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object, wantKey bool
	}
	var stack []frame
	pending := kindNone
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, false
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].wantKey {
			if _, isDelim := tok.(json.Delim); !isDelim {
				stack[top].wantKey = false
				pending = memberKind(members, []byte(tok.(string)))
				continue
			}
		}
		kind := pending
		pending = kindNone
		if top >= 0 && stack[top].object {
			stack[top].wantKey = true
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if kind == kindWhole {
					// The raw bytes of the whole value: skip it.
					start := bytes.IndexByte(data[off:], byte(v)) + int(off)
					depth := 1
					for depth > 0 {
						t2, err := dec.Token()
						if err != nil {
							return m, false
						}
						if d, ok := t2.(json.Delim); ok {
							if d == '{' || d == '[' {
								depth++
							} else {
								depth--
							}
						}
					}
					m.add(data[start:dec.InputOffset()])
					continue
				}
				stack = append(stack, frame{object: v == '{', wantKey: v == '{'})
			case '}', ']':
				stack = stack[:top]
				if top-1 >= 0 && stack[top-1].object {
					stack[top-1].wantKey = true
				}
			}
		case string:
			if kind == kindString {
				m.add([]byte(v))
			}
		}
	}
	return m, true
}

// FuzzMeasureContent holds the two content measures to each other on any
// input, and to encoding/json's reading on valid escape-free JSON.
func FuzzMeasureContent(f *testing.F) {
	for _, s := range cutStreams() {
		for _, ev := range s.events {
			data := ev.raw
			if i := strings.Index(data, "data: "); i >= 0 {
				data = strings.TrimSpace(data[i+len("data: "):])
			}
			f.Add(uint8(0), data)
		}
	}
	f.Add(uint8(2), `{"content":[{"type":"tool_use","input":{"a":[1,{"b":"c"}]}}],"usage":{}}`)
	f.Add(uint8(3), `{"args":[],"text":"x","text":"yy","args":{"text":"z"}}`)
	f.Fuzz(func(t *testing.T, apiIdx uint8, data string) {
		api := config.APIs[int(apiIdx)%len(config.APIs)]
		members := contentMembers(api, apiIdx&4 != 0)
		// contentRun is IndexEither and contentUnits in one pass.
		j, units := contentRun([]byte(data))
		if want := bytescan.IndexEither([]byte(data), '"', '\\'); j != want {
			t.Fatalf("contentRun index %d, IndexEither %d", j, want)
		}
		if j < 0 {
			j = len(data)
		}
		if want := contentUnits([]byte(data[:j])); units != want {
			t.Fatalf("contentRun units %d, contentUnits %d on %q", units, want, data[:j])
		}
		m := measureEvent([]byte(data), members)
		if m.units < 0 || m.values < 0 {
			t.Fatalf("measureEvent = %+v", m)
		}
		var s contentScanner
		s.members = members
		for rest := data; rest != ""; { // in pieces: chunking must not matter
			n := min(len(rest), 1+len(rest)%7)
			s.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		if !json.Valid([]byte(data)) {
			return
		}
		if s.m != m {
			t.Fatalf("contentScanner %+v != measureEvent %+v on %q", s.m, m, data)
		}
		if strings.Contains(data, `\`) || !utf8.ValidString(data) {
			return // decoding would change the bytes measured
		}
		ref, ok := referenceMeasure([]byte(data), members)
		if !ok {
			return
		}
		// measureEvent skips no whitespace inside a whole value and
		// neither does the reference; strings are raw = decoded here.
		if ref != m {
			t.Fatalf("encoding/json reading %+v != measureEvent %+v on %q", ref, m, data)
		}
	})
}

// TestEventContentSkipsRepeats: events that repeat streamed content, or
// whose "delta" is not text, are not measured.
func TestEventContentSkipsRepeats(t *testing.T) {
	tests := []struct {
		api  config.API
		name string // "event:" field; "" to read the type from the data
		data string
		want bool
	}{
		{config.OpenAIResponses, "response.output_text.delta", `{"type":"response.output_text.delta","delta":"Hi"}`, true},
		{config.OpenAIResponses, "", `{"type":"response.output_text.delta","delta":"Hi"}`, true},
		{config.OpenAIResponses, "response.audio.transcript.delta", `{"type":"response.audio.transcript.delta","delta":"Hi"}`, true},
		{config.OpenAIResponses, "response.audio.delta", `{"type":"response.audio.delta","delta":"UklGRiQAAABXQVZF"}`, false},
		{config.OpenAIResponses, "", `{"type":"response.audio.delta","delta":"UklGRiQAAABXQVZF"}`, false},
		{config.OpenAIResponses, "response.output_text.done", `{"type":"response.output_text.done","delta":"Hi"}`, false},
		{config.AnthropicMessages, "content_block_delta", `{"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}`, true},
		{config.AnthropicMessages, "", `{"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}`, true},
		{config.AnthropicMessages, "content_block_start", `{"type":"content_block_start","content_block":{"type":"text","text":"Hi"}}`, false},
		{config.AnthropicMessages, "", `{"type":"content_block_start","content_block":{"type":"text","text":"Hi"}}`, false},
		{config.OpenAIChat, "", `{"choices":[{"delta":{"content":"Hi"}}]}`, true},
		{config.GeminiGenerateContent, "", `{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}`, true},
	}
	for _, tt := range tests {
		e := NewExtractor(tt.api, true)
		e.Write([]byte(sseEvent(tt.name, tt.data)))
		if got := e.OutputSoFar() > 0; got != tt.want {
			t.Errorf("%v %q %s: counted %v, want %v", tt.api, tt.name, tt.data, got, tt.want)
		}
	}
}

// FuzzEstimateChunking: however a body is chunked, the running estimate,
// the event boundary and the result are those of one write.
func FuzzEstimateChunking(f *testing.F) {
	for i, s := range cutStreams() {
		f.Add(uint8(i), s.body(), uint64(7), true)
		f.Add(uint8(i), s.prefix(len(s.events)-2), uint64(3), false)
	}
	for i, d := range cutDocuments() {
		f.Add(uint8(i), d.body[:len(d.body)/2], uint64(11), false)
	}
	f.Fuzz(func(t *testing.T, apiIdx uint8, body string, seed uint64, complete bool) {
		api := config.APIs[int(apiIdx)%len(config.APIs)]
		whole := NewExtractor(api, true)
		whole.Write([]byte(body))
		chunked := NewExtractor(api, true)
		r := seed | 1
		for rest := body; rest != ""; {
			r ^= r << 13
			r ^= r >> 7
			r ^= r << 17
			n := min(len(rest), 1+int(r%97))
			chunked.Write([]byte(rest[:n]))
			rest = rest[n:]
			if so := chunked.OutputSoFar(); so < 0 {
				t.Fatalf("OutputSoFar = %d", so)
			}
			if end := chunked.EventEnd(); end < 0 || end > int64(len(body)-len(rest)) {
				t.Fatalf("EventEnd %d beyond the %d bytes written", end, len(body)-len(rest))
			}
		}
		if a, b := whole.OutputSoFar(), chunked.OutputSoFar(); a != b {
			t.Fatalf("OutputSoFar: one write %d, chunked %d", a, b)
		}
		if a, b := whole.EventEnd(), chunked.EventEnd(); a != b {
			t.Fatalf("EventEnd: one write %d, chunked %d", a, b)
		}
		whole.Finish(complete)
		chunked.Finish(complete)
		if a, b := whole.Result(), chunked.Result(); a != b {
			t.Fatalf("Result: one write %+v\nchunked %+v", a, b)
		}
		if u := whole.Result(); u.Estimated && u.OutputTokens != whole.OutputSoFar() {
			t.Fatalf("billed %+v, but the estimate is %d", u, whole.OutputSoFar())
		}
	})
}
