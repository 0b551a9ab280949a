package fakellm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReplyFor(t *testing.T) {
	tests := []struct{ prompt, want string }{
		{"respond with: hello", "hello"},
		{"Please RESPOND WITH:   yes sir  ", "yes sir"},
		{"respond with: one\nrespond with: two\nthanks", "two"},
		{"respond with:", "fallback"},
		{"what is 2+2?", "fallback"},
		{"", "fallback"},
	}
	for _, tt := range tests {
		if got := replyFor(tt.prompt, "fallback"); got != tt.want {
			t.Errorf("replyFor(%q) = %q, want %q", tt.prompt, got, tt.want)
		}
	}
}

func TestSplitRunes(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want []string
	}{
		{"hello", 4, []string{"h", "e", "l", "lo"}},
		{"hello", 2, []string{"he", "llo"}},
		{"hi", 5, []string{"h", "i"}},
		{"héé日", 2, []string{"hé", "é日"}},
		{"", 3, []string{""}},
		{"abc", 0, []string{"abc"}},
	}
	for _, tt := range tests {
		got := splitRunes(tt.s, tt.n)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("splitRunes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestGeneratedTextPieces(t *testing.T) {
	for _, n := range []int64{1, genDelta - 1, genDelta, 3*genDelta + 17, int64(len(fillerBlock()))*2 + 5} {
		full := generatedText(n)
		var joined bytes.Buffer
		pieces := 0
		for p := range full.pieces(99) {
			if p.Len() > genDelta {
				t.Fatalf("piece of %d bytes > %d", p.Len(), genDelta)
			}
			joined.WriteString(p.String())
			pieces++
		}
		want := full.String()
		if int64(len(want)) != n || joined.String() != want {
			t.Errorf("n=%d: pieces join to %d bytes, full text %d bytes; they differ", n, joined.Len(), len(want))
		}
		if wantPieces := int((n + genDelta - 1) / genDelta); pieces != wantPieces {
			t.Errorf("n=%d: %d pieces, want %d", n, pieces, wantPieces)
		}
		if !strings.HasPrefix(want, fillerPattern[:min(len(fillerPattern), int(n))]) {
			t.Errorf("n=%d: text does not start with the pattern", n)
		}
	}
}

func TestReplyTextWriteJSON(t *testing.T) {
	tests := []replyText{
		literalText(`quote " backslash \ newline` + "\n <tag> é"),
		literalText(""),
		generatedText(100_000),
	}
	for _, rt := range tests {
		var b bytes.Buffer
		if err := rt.writeJSON(&b); err != nil {
			t.Fatal(err)
		}
		var s string
		if err := json.Unmarshal(b.Bytes(), &s); err != nil {
			t.Fatalf("writeJSON wrote invalid JSON %q: %v", b.String()[:min(b.Len(), 80)], err)
		}
		if s != rt.String() || !utf8.ValidString(s) {
			t.Errorf("round trip of %d bytes differs", rt.Len())
		}
	}
}

// TestTextAcrossAPIs checks every API carries the reply text whole, literal
// or generated, streamed or not.
func TestTextAcrossAPIs(t *testing.T) {
	s, url := startServer(t)
	endpoints := []struct{ name, path, body string }{
		{"chat", "/v1/chat/completions", `{"model":"m","stream":%v,"messages":[{"role":"user","content":"respond with: x \"quoted\" ü"}]}`},
		{"responses", "/v1/responses", `{"model":"m","stream":%v,"input":"respond with: x \"quoted\" ü"}`},
		{"anthropic", "/v1/messages", `{"model":"m","stream":%v,"messages":[{"role":"user","content":"respond with: x \"quoted\" ü"}]}`},
		{"gemini", "/v1beta/models/g:%s", `{"contents":[{"parts":[{"text":"respond with: x \"quoted\" ü"}]}]}`},
	}
	for _, size := range []int64{0, 3*genDelta + 5} {
		s.SetBodySize(size)
		want := `x "quoted" ü`
		if size > 0 {
			want = generatedText(size).String()
		}
		for _, ep := range endpoints {
			for _, stream := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/size=%d/stream=%v", ep.name, size, stream), func(t *testing.T) {
					path, body := ep.path, fmt.Sprintf(ep.body, stream)
					if ep.name == "gemini" {
						method := "generateContent"
						if stream {
							method = "streamGenerateContent?alt=sse"
						}
						path, body = fmt.Sprintf(ep.path, method), ep.body
					}
					resp := post(t, url+path, body)
					if resp.StatusCode != 200 {
						t.Fatalf("status %d", resp.StatusCode)
					}
					if got := textOf(t, path, stream, resp.Body); got != want {
						t.Errorf("text of %d bytes, want %d bytes (equal: %v)", len(got), len(want), got == want)
					}
				})
			}
		}
	}
}
