package usage

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

type gotEvent struct {
	Event, Data string
	Truncated   bool
}

func parseAll(max int, chunks ...string) []gotEvent {
	var got []gotEvent
	p := NewSSEParser(func(ev *SSEEvent) {
		got = append(got, gotEvent{string(ev.Event), string(ev.Data), ev.Truncated})
	})
	p.MaxEventSize = max
	for _, c := range chunks {
		p.Write([]byte(c))
	}
	p.End()
	return got
}

func TestSSEParser(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []gotEvent
	}{
		{"event and data", "event: a\ndata: 1\n\n", []gotEvent{{"a", "1", false}}},
		{"multi-line data joined by LF", "data: x\ndata: y\ndata:\n\n", []gotEvent{{"", "x\ny\n", false}}},
		{"no space after colon", "data:x\n\n", []gotEvent{{"", "x", false}}},
		{"only one leading space stripped", "data:  x\n\n", []gotEvent{{"", " x", false}}},
		{"field without colon", "data\n\n", []gotEvent{{"", "", false}}},
		{"comments and unknown fields ignored", ": hi\nid: 7\nretry: 10\nfoo: bar\ndata: d\n\n", []gotEvent{{"", "d", false}}},
		{"event without data not dispatched", "event: ping\n\ndata: z\n\n", []gotEvent{{"", "z", false}}},
		{"event type resets between events", "event: a\ndata: 1\n\ndata: 2\n\n", []gotEvent{{"a", "1", false}, {"", "2", false}}},
		{"CRLF", "event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n", []gotEvent{{"a", "1", false}, {"", "2", false}}},
		{"CR only", "event: a\rdata: 1\r\rdata: 2\r\r", []gotEvent{{"a", "1", false}, {"", "2", false}}},
		{"mixed endings", "data: 1\r\n\ndata: 2\n\r\n", []gotEvent{{"", "1", false}, {"", "2", false}}},
		{"leading blank lines", "\n\n\r\ndata: 1\n\n", []gotEvent{{"", "1", false}}},
		{"unterminated last event dispatched at End", "data: 1\n\ndata: 2", []gotEvent{{"", "1", false}, {"", "2", false}}},
		{"data with colons", "data: {\"a\":\"b:c\"}\n\n", []gotEvent{{"", `{"a":"b:c"}`, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseAll(0, tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			for i := 0; i <= len(tt.in); i++ {
				if got := parseAll(0, tt.in[:i], tt.in[i:]); !slices.Equal(got, tt.want) {
					t.Fatalf("split at %d: got %+v, want %+v", i, got, tt.want)
				}
			}
		})
	}
}

func TestSSEParserLimit(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name string
		in   string
		want []gotEvent
	}{
		{"one long line", "event: big\ndata: " + long + "\n\ndata: ok\n\n", []gotEvent{{"big", "", true}, {"", "ok", false}}},
		{"many short lines add up", "event: big\n" + strings.Repeat("data: 0123456789\n", 10) + "\ndata: ok\n\n", []gotEvent{{"big", "", true}, {"", "ok", false}}},
		{"long comment line truncates its event", ": " + long + "\ndata: lost\n\ndata: ok\n\n", []gotEvent{{"", "", true}, {"", "ok", false}}},
		{"at the limit is kept", "data: " + long[:64] + "\n\n", []gotEvent{{"", long[:64], false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				if got := parseAll(64, tt.in[:i], tt.in[i:]); !slices.Equal(got, tt.want) {
					t.Fatalf("split at %d: got %+v, want %+v", i, got, tt.want)
				}
			}
		})
	}
}

func TestSSEParserNoAllocs(t *testing.T) {
	var n int
	p := NewSSEParser(func(ev *SSEEvent) { n += len(ev.Data) })
	chunk := []byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"hi\"}}\n\n")
	p.Write(chunk) // warm the buffers
	// Split mid-line too, so the carried-over partial line path is measured.
	a, b := chunk[:30], chunk[30:]
	allocs := testing.AllocsPerRun(1000, func() {
		p.Write(a)
		p.Write(b)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per event, want 0", allocs)
	}
}

func FuzzSSEParser(f *testing.F) {
	f.Add("event: a\ndata: 1\n\n", uint8(3))
	f.Add("data: x\r\ndata: y\r\n\r\n: c\rdata\r\r", uint8(1))
	f.Add(chatStream, uint8(17))
	f.Fuzz(func(t *testing.T, in string, step uint8) {
		const limit = 64
		whole := parseAll(limit, in)
		var chunks []string
		n := int(step%32) + 1
		for rest := in; rest != ""; {
			k := min(n, len(rest))
			chunks = append(chunks, rest[:k])
			rest = rest[k:]
		}
		split := parseAll(limit, chunks...)
		if !slices.Equal(whole, split) {
			t.Fatalf("chunking changed the events:\nwhole %+v\nsplit %+v", whole, split)
		}
		for _, ev := range whole {
			if len(ev.Data) > limit || len(ev.Event) > limit {
				t.Fatalf("event over the limit: %+v", ev)
			}
			if ev.Truncated && ev.Data != "" {
				t.Fatalf("truncated event with data: %+v", ev)
			}
		}
	})
}

func BenchmarkSSEParser(b *testing.B) {
	for _, size := range []int{512, 16 << 10} {
		b.Run(fmt.Sprintf("chunk=%d", size), func(b *testing.B) {
			ev := "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}\n\n"
			stream := []byte(strings.Repeat(ev, 1000))
			var n int
			p := NewSSEParser(func(ev *SSEEvent) { n++ })
			b.ReportAllocs()
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				p.Reset()
				for rest := stream; len(rest) > 0; {
					k := min(size, len(rest))
					p.Write(rest[:k])
					rest = rest[k:]
				}
				p.End()
			}
		})
	}
}

// TestSSEParserEventEnd: the offset just past the blank line of the last
// dispatched event, whatever the chunking; an unterminated event that End
// dispatches is not complete, and a comment block is no event.
func TestSSEParserEventEnd(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
	}{
		{"none yet", "data: 1\n", 0},
		{"one event", "data: 1\n\n", 9},
		{"second event partial", "data: 1\n\ndata: 2\n", 9},
		{"CRLF", "data: 1\r\n\r\ndata: 2\r\n\r\n", 22},
		{"lone CR", "data: 1\r\r", 9},
		{"comment block is no event", "data: 1\n\n: ping\n\n", 9},
		{"event without data is no event", "data: 1\n\nevent: x\n\n", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				p := NewSSEParser(func(*SSEEvent) {})
				p.Write([]byte(tt.in[:i]))
				p.Write([]byte(tt.in[i:]))
				if got := p.EventEnd(); got != tt.want {
					t.Fatalf("split at %d: EventEnd = %d, want %d", i, got, tt.want)
				}
				p.End()
				if got := p.EventEnd(); got != tt.want {
					t.Fatalf("split at %d: after End, EventEnd = %d, want %d", i, got, tt.want)
				}
			}
		})
	}
}
