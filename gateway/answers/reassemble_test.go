package answers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// fakeToolArgs are the arguments of the tool call fakellm is asked for.
const fakeToolArgs = `{"city":"Paris","days":[1,2],"units":{"temp":"°C"}}`

// TestReassembleMatchesUnstreamed asks fakellm, which speaks each API's
// wire format exactly, for the same answer streamed and not, with and
// without a tool call, and checks that the reassembled stream says what
// the non-streamed answer says: model, text, tool calls, stop reason and
// usage.
func TestReassembleMatchesUnstreamed(t *testing.T) {
	for _, withTool := range []bool{false, true} {
		fake := newFake()
		if withTool {
			fake = newFake(fakellm.WithToolCall("get_weather", fakeToolArgs))
		}
		for _, tt := range fakeRequests {
			t.Run(fmt.Sprintf("%s tool=%v", tt.name, withTool), func(t *testing.T) {
				matchUnstreamed(t, fake, tt, withTool)
			})
		}
	}
}

// matchUnstreamed checks one request of TestReassembleMatchesUnstreamed.
func matchUnstreamed(t *testing.T, fake *fakellm.Server, tt fakeRequest, withTool bool) {
	whole := fakeAnswer(t, fake, tt.path, tt.body)
	stream := fakeAnswer(t, fake, tt.streamPath, tt.streamBody)
	if !bytes.HasPrefix(stream, []byte(tt.streamContentStart)) {
		t.Fatalf("stream does not start with %q: %.100s", tt.streamContentStart, stream)
	}
	if len(eventEnds(stream)) < 10 {
		t.Fatalf("only %d events in the stream: the test would not join deltas", len(eventEnds(stream)))
	}
	if got := Reassemble(tt.api, whole); !bytes.Equal(got, bytes.TrimSpace(whole)) {
		t.Errorf("a non-streamed answer is not returned as is:\n got %s\nwant %s", got, whole)
	}
	want := summarize(t, tt.api, whole)
	if want.Text != fakeReply || want.Usage == "" || want.Stop == "" {
		t.Fatalf("the non-streamed answer reads as %+v", want)
	}
	if withTool != (len(want.Tools) == 1) || withTool && (want.Tools[0].Name != "get_weather" || string(want.Tools[0].Params) != fakeToolArgs) {
		t.Fatalf("the non-streamed answer has tool calls %s", show(want.Tools))
	}
	got := summarize(t, tt.api, Reassemble(tt.api, stream))
	// Each answer has call IDs of its own.
	for i := range min(len(got.Tools), len(want.Tools)) {
		if (got.Tools[i].ID == "") != (want.Tools[i].ID == "") {
			t.Errorf("call ID %q in the stream, %q unstreamed", got.Tools[i].ID, want.Tools[i].ID)
		}
		got.Tools[i].ID, want.Tools[i].ID = "", ""
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reassembled stream:\n got %+v\nwant %+v", got, want)
	}
}

// TestReassembleFixtures checks the documented streams in testdata, with
// thinking and parallel tool calls, against the same answers unstreamed.
func TestReassembleFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			want := summarize(t, fx.api, readFixture(t, fx.whole))
			if len(want.Tools) == 0 || want.Usage == "" {
				t.Fatalf("the fixture reads as %+v", want)
			}
			got := summarize(t, fx.api, Reassemble(fx.api, readFixture(t, fx.stream)))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("reassembled stream:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// streamCase is one stream for the cut tests.
type streamCase struct {
	name string
	api  config.API
	body []byte
}

// allStreams are fakellm's streams and the testdata ones.
func allStreams(t testing.TB) []streamCase { return streams(t, newFake()) }

// fuzzSeeds are the same streams of a short answer in three deltas: the
// fuzzer minimizes every input it finds interesting, which for inputs of
// tens of kilobytes takes longer than the whole run.
func fuzzSeeds(f *testing.F) []streamCase {
	return streams(f, fakellm.New(fakellm.WithReply("Hi, é 😀!"), fakellm.WithChunks(3), fakellm.WithUsage(fakeUsage)))
}

// streams are fake's streams and the testdata ones.
func streams(t testing.TB, fake *fakellm.Server) []streamCase {
	var out []streamCase
	for _, r := range fakeRequests {
		out = append(out, streamCase{"fakellm " + r.name, r.api, fakeAnswer(t, fake, r.streamPath, r.streamBody)})
	}
	if err := fake.SetToolCall("get_weather", fakeToolArgs); err != nil {
		t.Fatal(err)
	}
	for _, r := range fakeRequests {
		out = append(out, streamCase{"fakellm tool " + r.name, r.api, fakeAnswer(t, fake, r.streamPath, r.streamBody)})
	}
	if err := fake.SetToolCall("", ""); err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		out = append(out, streamCase{fx.name, fx.api, readFixture(t, fx.stream)})
	}
	return out
}

// TestReassembleCutStreams cuts every stream at every event boundary and
// inside every event (first byte, middle, last byte), as a capture limit
// or a dropped connection would, and checks that the cut stream gives
// what its complete events say: its raw events are the first events of
// the whole stream, its text is a prefix of the whole text, and its tool
// calls are the whole stream's first calls, the last perhaps unfinished.
func TestReassembleCutStreams(t *testing.T) {
	for _, sc := range allStreams(t) {
		t.Run(sc.name, func(t *testing.T) {
			full := RawResponses(sc.api, sc.body)
			fullSum := summarize(t, sc.api, Reassemble(sc.api, sc.body))
			ends := eventEnds(sc.body)
			if len(ends) != len(full) && !(sc.api == config.OpenAIChat && len(ends) == len(full)+1) { // chat's [DONE] is no object
				t.Fatalf("%d event ends, %d events", len(ends), len(full))
			}
			// At the end of event k, exactly k+1 events are readable.
			prev := 0
			for k, e := range ends {
				if got := len(RawResponses(sc.api, sc.body[:e])); got != min(k+1, len(full)) {
					t.Errorf("cut after event %d: %d events readable", k, got)
				}
				for _, n := range []int{prev + 1, (prev + e) / 2, e - 1, e} {
					checkCut(t, sc, n, full, fullSum)
				}
				prev = e
			}
			checkCut(t, sc, 0, full, fullSum)
			checkCut(t, sc, len(sc.body), full, fullSum)
		})
	}
}

// checkCut checks the stream cut after n bytes.
func checkCut(t *testing.T, sc streamCase, n int, full []json.RawMessage, fullSum summary) {
	t.Helper()
	cut := sc.body[:n]
	raw := RawResponses(sc.api, cut)
	if len(raw) > len(full) {
		t.Fatalf("cut at %d: %d events, the whole stream has %d", n, len(raw), len(full))
	}
	for i := range raw {
		if !bytes.Equal(raw[i], full[i]) {
			t.Fatalf("cut at %d: event %d is\n%s\nnot\n%s", n, i, raw[i], full[i])
		}
	}
	re := Reassemble(sc.api, cut)
	if len(raw) == 0 {
		if re != nil {
			t.Fatalf("cut at %d: no event, yet reassembled %s", n, re)
		}
		return
	}
	if !json.Valid(re) {
		t.Fatalf("cut at %d: reassembled invalid JSON %s", n, re)
	}
	s := summarize(t, sc.api, re)
	if !strings.HasPrefix(fullSum.Text, s.Text) || !strings.HasPrefix(fullSum.Thinking, s.Thinking) {
		t.Fatalf("cut at %d: text %q is not a prefix of %q", n, s.Text, fullSum.Text)
	}
	if len(s.Tools) > len(fullSum.Tools) {
		t.Fatalf("cut at %d: %d tool calls, the whole stream has %d", n, len(s.Tools), len(fullSum.Tools))
	}
	for i, tc := range s.Tools {
		want := fullSum.Tools[i]
		if tc.ID != want.ID || tc.Name != want.Name {
			t.Fatalf("cut at %d: tool call %d is %+v, want %+v", n, i, tc, want)
		}
		if i < len(s.Tools)-1 && !bytes.Equal(tc.Params, want.Params) {
			t.Fatalf("cut at %d: finished tool call %d has params %s, want %s", n, i, tc.Params, want.Params)
		}
	}
	if n == len(sc.body) && !reflect.DeepEqual(s, fullSum) {
		t.Fatalf("uncut: %+v, want %+v", s, fullSum)
	}
}

// TestReassembleCaptureLimit reads a stream of 2 MiB cut at the gateway's
// 1 MiB capture limit (gateway.MaxCaptureBytes): the text of the first
// megabyte is there, the usage of the end is not.
func TestReassembleCaptureLimit(t *testing.T) {
	const captureLimit = 1 << 20
	fake := fakellm.New(fakellm.WithBodySize(2<<20), fakellm.WithUsage(fakeUsage))
	for _, r := range fakeRequests {
		t.Run(r.name, func(t *testing.T) {
			body := fakeAnswer(t, fake, r.streamPath, r.streamBody)
			if len(body) <= captureLimit {
				t.Fatalf("stream of %d bytes is not over the limit", len(body))
			}
			whole := summarize(t, r.api, Reassemble(r.api, body))
			cut := summarize(t, r.api, Reassemble(r.api, body[:captureLimit]))
			if len(cut.Text) < captureLimit/2 || !strings.HasPrefix(whole.Text, cut.Text) || len(cut.Text) >= len(whole.Text) {
				t.Errorf("cut text is %d bytes of %d", len(cut.Text), len(whole.Text))
			}
			if cut.Usage == whole.Usage {
				t.Errorf("cut stream has the final usage %s", cut.Usage)
			}
		})
	}
}

// TestReassembleWhole covers answers that are not streams.
func TestReassembleWhole(t *testing.T) {
	tests := []struct {
		name   string
		api    config.API
		answer string
		want   string // "" = nil
	}{
		{"object as is", config.OpenAIChat, "  {\"id\": 1}\n", `{"id": 1}`},
		{"error as is", config.AnthropicMessages, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
		{"cut object", config.OpenAIChat, `{"id":"chatcmpl-1","choices":[{"message":{"content":"hel`, ""},
		{"empty", config.OpenAIChat, "", ""},
		{"not json", config.GeminiGenerateContent, "<html>bad gateway</html>", ""},
		{"unknown api stream", config.API("bedrock"), "data: {\"a\":1}\n\n", ""},
		{"error event of a stream", config.OpenAIChat, "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n",
			`{"error":{"message":"boom","type":"server_error"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Reassemble(tt.api, []byte(tt.answer))
			if tt.want == "" {
				if got != nil {
					t.Errorf("got %s, want nil", got)
				}
				return
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzReassemble feeds every API's parser anything: it must not panic,
// and what it returns is nil or one JSON object.
func FuzzReassemble(f *testing.F) {
	for _, sc := range fuzzSeeds(f) {
		f.Add(apiIndex(sc.api), sc.body)
	}
	f.Add(uint8(0), []byte("data: {\"choices\":[{\"index\":1e99,\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}\n\n"))
	f.Fuzz(func(t *testing.T, api uint8, answer []byte) {
		a := fuzzAPI(api)
		got := Reassemble(a, answer)
		if got != nil && !isObject(got) {
			t.Fatalf("Reassemble(%s) = %s, not a JSON object", a, got)
		}
	})
}

// apiIndex and fuzzAPI map APIs to the fuzzer's byte and back; values
// past the four known ones are an unknown API.
func apiIndex(a config.API) uint8 {
	for i, x := range config.APIs {
		if x == a {
			return uint8(i)
		}
	}
	return 255
}

func fuzzAPI(i uint8) config.API {
	if int(i) < len(config.APIs) {
		return config.APIs[i]
	}
	return config.API("unknown")
}
