package usage

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func run(api config.API, stream bool, complete bool, chunks ...string) Usage {
	e := NewExtractor(api, stream)
	for _, c := range chunks {
		if n, err := e.Write([]byte(c)); n != len(c) || err != nil {
			panic(fmt.Sprintf("Write = %d, %v", n, err))
		}
	}
	e.Finish(complete)
	return e.Result()
}

// estimatedVectors are the vectors whose answer never reached its final
// usage, with what the content estimate makes of them (see estimate.go).
// They are kept here rather than in vectors_test.go's wants so that the
// shared vector table states what the provider reported, and this the
// estimate laid over it.
var estimatedVectors = map[string]func(Usage) Usage{
	// `say \"usage\":{\"prompt_tokens\":9}` is 35 raw bytes: 9 tokens.
	"broken/chat-stream-before-usage": estimated(9, true),
	// A complete stream whose upstream ignored include_usage: "x".
	"chat/stream-no-usage":    estimated(1, true),
	"broken/responses-stream": estimated(1, true), // delta "Hi"
	// `Hello \"usage\"` is 15 raw bytes: 4 tokens, not message_start's 1.
	"broken/anthropic-after-start": estimated(4, false),
	// Cut before any content: the placeholder 1 stands, but estimated.
	"broken/anthropic-midline": estimated(1, false),
	// Gemini's counts before the last chunk are partial: 2 reported
	// beats "Hel" (1); the cut document's 100 beats "lo".
	"broken/gemini-sse":           estimated(2, false),
	"broken/gemini-json":          estimated(100, false),
	"broken/gemini-json-in-usage": estimated(1, true), // "lo", usage cut
	"gemini/no-usage":             estimated(1, true), // "x", no usageMetadata
	// Nothing arrived, but the provider may have billed the prompt: the
	// gateway estimates input when Estimated is set.
	"empty-body": estimated(0, false),
}

// estimated returns a want transform: output tokens out, Estimated set, and
// Found set when found (content was seen where no usage was).
func estimated(out int64, found bool) func(Usage) Usage {
	return func(u Usage) Usage {
		u.OutputTokens = out
		u.Estimated = true
		if found {
			u.Found = true
		}
		return u
	}
}

// vectorsWithEstimates returns vectors() with the estimated wants applied.
func vectorsWithEstimates(t *testing.T) []vector {
	vs := vectors()
	seen := 0
	for i, v := range vs {
		if f, ok := estimatedVectors[v.name]; ok {
			vs[i].want = f(v.want)
			seen++
		}
	}
	if seen != len(estimatedVectors) {
		t.Fatalf("estimatedVectors names %d vectors, %d exist", len(estimatedVectors), seen)
	}
	return vs
}

func TestExtractorVectors(t *testing.T) {
	for _, v := range vectorsWithEstimates(t) {
		t.Run(v.name, func(t *testing.T) {
			if got := run(v.api, v.stream, v.complete, v.body); got != v.want {
				t.Errorf("got  %+v\nwant %+v", got, v.want)
			}
		})
	}
}

// TestExtractorChunkBoundaries feeds every vector split at every byte
// offset, and byte by byte: the result must not depend on chunking.
func TestExtractorChunkBoundaries(t *testing.T) {
	for _, v := range vectorsWithEstimates(t) {
		t.Run(v.name, func(t *testing.T) {
			for i := 0; i <= len(v.body); i++ {
				if got := run(v.api, v.stream, v.complete, v.body[:i], v.body[i:]); got != v.want {
					t.Fatalf("split at %d: got %+v, want %+v", i, got, v.want)
				}
			}
			bytewise := make([]string, len(v.body))
			for i := range v.body {
				bytewise[i] = v.body[i : i+1]
			}
			if got := run(v.api, v.stream, v.complete, bytewise...); got != v.want {
				t.Fatalf("byte by byte: got %+v, want %+v", got, v.want)
			}
			r := rand.New(rand.NewPCG(1, uint64(len(v.body))))
			for range 50 {
				var chunks []string
				for rest := v.body; rest != ""; {
					n := 1 + r.IntN(min(len(rest), 40))
					chunks = append(chunks, rest[:n])
					rest = rest[n:]
				}
				if got := run(v.api, v.stream, v.complete, chunks...); got != v.want {
					t.Fatalf("chunks %q: got %+v, want %+v", chunks, got, v.want)
				}
			}
		})
	}
}

func TestExtractorInterruptedFlag(t *testing.T) {
	tests := []struct {
		name     string
		api      config.API
		body     string
		complete bool
		want     bool
	}{
		{"stream with terminal, read to EOF", config.OpenAIChat, chatStream, true, false},
		{"stream with terminal, connection error after", config.OpenAIChat, chatStream, false, true},
		{"stream without terminal, EOF", config.AnthropicMessages, sse(anthropicStart), true, true},
		{"json closed", config.AnthropicMessages, `{"usage":{"input_tokens":1,"output_tokens":1}}`, true, false},
		{"json cut, EOF claimed", config.AnthropicMessages, `{"usage":{"input_tokens":1,"output_tokens":1}`, true, true},
		{"gemini last chunk has finishReason", config.GeminiGenerateContent, "data: " + geminiChunk2 + "\n\n", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(tt.api, true, tt.complete, tt.body).Interrupted; got != tt.want {
				t.Errorf("Interrupted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExtractorWriteAfterFinish(t *testing.T) {
	e := NewExtractor(config.OpenAIChat, true)
	e.Write([]byte(chatStream))
	e.Finish(true)
	e.Write([]byte(`data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}` + "\n\n"))
	e.Finish(false)
	if got := e.Result(); got != chatStreamUsage {
		t.Errorf("got %+v, want %+v", got, chatStreamUsage)
	}
}

// TestExtractorLastUsageWins: cumulative usage reports replace each other.
func TestExtractorLastUsageWins(t *testing.T) {
	body := sse(
		`data: {"choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":10,"completion_tokens":1}}`,
		`data: {"choices":[{"delta":{"content":"b"}}],"usage":{"prompt_tokens":10,"completion_tokens":2}}`,
		`data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3}}`,
		`data: [DONE]`)
	want := Usage{InputTokens: 10, OutputTokens: 3, Found: true}
	if got := run(config.OpenAIChat, true, true, body); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestExtractorOversizedEvent: an event beyond the limit is skipped, the
// rest of the stream is still metered, and memory stays bounded.
func TestExtractorOversizedEvent(t *testing.T) {
	e := NewExtractor(config.OpenAIChat, true)
	e.maxEvent = 1024
	big := `data: {"choices":[{"delta":{"content":"` + strings.Repeat("x", 10_000) + `"}}]}` + "\n\n"
	for range 100 {
		e.Write([]byte(big))
	}
	e.Write([]byte(chatStream))
	e.Finish(true)
	if got := e.Result(); got != chatStreamUsage {
		t.Errorf("got %+v, want %+v", got, chatStreamUsage)
	}
	if c := cap(e.sse.data) + cap(e.sse.line); c > 4*1024 {
		t.Errorf("parser buffers grew to %d bytes with a 1 KiB limit", c)
	}
}

// TestExtractorLargeJSONBody: a large non-streamed body is scanned, not
// held: the buffers stay small and the trailing usage is still found.
func TestExtractorLargeJSONBody(t *testing.T) {
	e := NewExtractor(config.AnthropicMessages, false)
	e.Write([]byte(`{"content":[{"type":"text","text":"`))
	chunk := []byte(strings.Repeat(`lorem \"ipsum\" {[ `, 1000))
	for range 2000 { // ~38 MB
		e.Write(chunk)
	}
	e.Write([]byte(`"}],"usage":{"input_tokens":7,"output_tokens":8}}`))
	e.Finish(true)
	want := Usage{InputTokens: 7, OutputTokens: 8, Found: true}
	if got := e.Result(); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if c := cap(e.json.buf); c > 1024 {
		t.Errorf("scanner buffer grew to %d bytes", c)
	}
}

func FuzzExtractor(f *testing.F) {
	for _, v := range vectors() {
		f.Add(uint8(0), v.body, uint16(7))
	}
	f.Add(uint8(3), "[{\"usageMetadata\":{}}]", uint16(1))
	f.Fuzz(func(t *testing.T, apiIdx uint8, body string, split uint16) {
		api := config.APIs[int(apiIdx)%len(config.APIs)]
		e := NewExtractor(api, apiIdx&4 != 0)
		e.maxEvent = 256
		e.maxObject = 256
		step := int(split%64) + 1
		for len(body) > 0 {
			n := min(step, len(body))
			e.Write([]byte(body[:n]))
			body = body[n:]
		}
		e.Finish(split&1 == 0)
		u := e.Result()
		if u.InputTokens < 0 || u.CachedTokens < 0 || u.OutputTokens < 0 || u.CacheCreationTokens < 0 ||
			u.CacheCreation5mTokens < 0 || u.CacheCreation1hTokens < 0 || u.ReasoningTokens < 0 {
			t.Fatalf("negative count: %+v", u)
		}
		if u.CacheCreationTokens != u.CacheCreation5mTokens+u.CacheCreation1hTokens {
			t.Fatalf("cache split does not add up: %+v", u)
		}
		if len(e.sse.data) > 256+1 || len(e.sse.line) > 256 || len(e.json.buf) > 256 {
			t.Fatalf("buffers exceed limits: data %d line %d json %d", len(e.sse.data), len(e.sse.line), len(e.json.buf))
		}
	})
}

func benchExtract(b *testing.B, api config.API, body string, chunk int) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	data := []byte(body)
	for b.Loop() {
		e := NewExtractor(api, true)
		for rest := data; len(rest) > 0; {
			n := min(chunk, len(rest))
			e.Write(rest[:n])
			rest = rest[n:]
		}
		e.Finish(true)
		if !e.Result().Found {
			b.Fatal("no usage")
		}
	}
}

// longStream repeats the middle events of a stream to model a long answer.
func longStream(head, mid, tail string, n int) string {
	return head + strings.Repeat(mid, n) + tail
}

func BenchmarkExtractOpenAIChatStream(b *testing.B) {
	mid := `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}` + "\n\n"
	benchExtract(b, config.OpenAIChat, longStream("", mid, chatStream, 500), 512)
}

func BenchmarkExtractAnthropicStream(b *testing.B) {
	mid := "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
	benchExtract(b, config.AnthropicMessages, longStream(sse(anthropicStart), mid, sse(anthropicDeltaFull, anthropicStop), 500), 512)
}

func BenchmarkExtractResponsesStream(b *testing.B) {
	mid := "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n\n"
	benchExtract(b, config.OpenAIResponses, longStream("", mid, responsesStream, 500), 512)
}

func BenchmarkExtractGeminiStream(b *testing.B) {
	mid := "data: " + geminiChunk1 + "\r\n\r\n"
	benchExtract(b, config.GeminiGenerateContent, longStream("", mid, "data: "+geminiChunk2+"\r\n\r\n", 500), 512)
}

func BenchmarkExtractAnthropicJSON(b *testing.B) {
	body := `{"id":"msg_1","type":"message","content":[{"type":"text","text":"` + strings.Repeat("lorem ipsum ", 5000) + `"}],"usage":{"input_tokens":100,"cache_creation_input_tokens":500,"cache_read_input_tokens":0,"output_tokens":20}}`
	benchExtract(b, config.AnthropicMessages, body, 4096)
}
