package answers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestSSEData(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"LF", "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n", []string{`{"a":1}`, `{"b":2}`}},
		{"CRLF, as Gemini sends", "data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n", []string{`{"a":1}`, `{"b":2}`}},
		{"CR", "data: {\"a\":1}\r\rdata: 2\r\r", []string{`{"a":1}`, `2`}},
		{"event, id, retry and comments skipped", ": ping\nevent: message_start\nid: 7\nretry: 10\ndata: x\n\n", []string{"x"}},
		{"multi-line data joined with LF", "data: {\"a\":\ndata: 1}\n\n", []string{"{\"a\":\n1}"}},
		{"only one space dropped", "data:  x\ndata:y\n\n", []string{" x\ny"}},
		{"data without a colon is an empty line of data", "data\n\n", []string{""}},
		{"a blank line alone dispatches nothing", "\n\n\nevent: x\n\n", nil},
		{"last event without its blank line", "data: 1\n\ndata: 2", []string{"1", "2"}},
		{"not data", "datum: 1\n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range sseData([]byte(tt.body)) {
				got = append(got, string(d))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRawResponses(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"one JSON answer", " {\"id\":\"x\"}\n", []string{`{"id":"x"}`}},
		{"JSON answer cut at the capture limit", `{"id":"x","choices":[`, nil},
		{"SSE with [DONE] and a non-object", "data: {\"a\":1}\n\ndata: 3\n\ndata: [DONE]\n\n", []string{`{"a":1}`}},
		{"SSE cut mid-event", "data: {\"a\":1}\n\ndata: {\"b\":", []string{`{"a":1}`}},
		{"SSE with a byte-order mark", "\ufeffdata: {\"a\":1}\n\n", []string{`{"a":1}`}},
		{"Gemini array", "[{\"a\":1}\r\n,\r\n{\"b\":\n 2}\r\n]", []string{`{"a":1}`, "{\"b\":\n 2}"}},
		{"Gemini array cut", "[{\"a\":1}\r\n,\r\n{\"b\":", []string{`{"a":1}`}},
		{"Gemini array cut after an element", "[{\"a\":1}", []string{`{"a":1}`}},
		{"array of non-objects", "[1, \"x\", {\"a\":1}]", []string{`{"a":1}`}},
		{"empty", "", nil},
		{"whitespace", " \r\n", nil},
		{"HTML error page", "<html><body>502</body></html>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range RawResponses(config.OpenAIChat, []byte(tt.body)) {
				got = append(got, string(r))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRawResponsesOwnMemory checks the result does not change when the
// caller reuses the answer's buffer (the gateway recycles capture
// buffers; a hook payload may be sent later).
func TestRawResponsesOwnMemory(t *testing.T) {
	for _, body := range []string{`{"a":1}`, "data: {\"a\":1}\n\n", `[{"a":1}]`} {
		b := []byte(body)
		raw := RawResponses(config.OpenAIChat, b)
		re := Reassemble(config.OpenAIChat, b)
		for i := range b {
			b[i] = 'x'
		}
		if len(raw) != 1 || string(raw[0]) != `{"a":1}` {
			t.Errorf("%q: raw responses changed with the buffer: %q", body, raw)
		}
		if re != nil && !json.Valid(re) {
			t.Errorf("%q: reassembled answer changed with the buffer: %q", body, re)
		}
	}
}

// FuzzRawResponses checks that every element is one JSON object and that
// a whole JSON object answer is its own only element.
func FuzzRawResponses(f *testing.F) {
	for _, sc := range fuzzSeeds(f) {
		f.Add(sc.body)
	}
	for _, fx := range fixtures {
		f.Add(readFixture(f, fx.whole))
	}
	f.Add([]byte("data: {\"a\":\r\ndata: 1}\r\r\n"))
	f.Fuzz(func(t *testing.T, answer []byte) {
		raw := RawResponses(config.OpenAIChat, answer)
		for _, r := range raw {
			if !isObject(r) {
				t.Fatalf("element %q is not a JSON object", r)
			}
		}
		if t := bytes.TrimSpace(answer); len(t) > 0 && t[0] == '{' && json.Valid(t) && len(raw) != 1 {
			panic("a JSON object answer is not one element")
		}
	})
}
