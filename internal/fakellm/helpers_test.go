package fakellm

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// richUsage exercises every usage field; its per-API mapping is spelled
// out as literal numbers in the tests.
var richUsage = Usage{
	InputTokens:           50,
	OutputTokens:          70,
	CachedTokens:          400,
	CacheCreationTokens:   30,
	CacheCreation1hTokens: 10,
	ReasoningTokens:       25,
}

// startServer starts a fake for one test and closes it afterwards.
func startServer(t *testing.T, opts ...Option) (*Server, string) {
	t.Helper()
	s := New(opts...)
	url, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, url
}

// post sends a JSON body and returns the response.
func post(t *testing.T, url, body string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name string
	data string
}

// readSSE parses a whole SSE body; it fails the test on a read error
// (including an unexpected EOF from a cut) unless allowErr.
func readSSE(t *testing.T, r io.Reader, allowErr bool) ([]sseEvent, error) {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == "":
			if cur.data != "" || cur.name != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		default:
			t.Errorf("unexpected SSE line %q", line)
		}
	}
	if err := sc.Err(); err != nil && !allowErr {
		t.Fatalf("reading SSE: %v", err)
	} else if err != nil {
		return out, err
	}
	return out, nil
}

// decode unmarshals JSON into a generic value, failing the test on error.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return m
}

// at walks a decoded JSON value by keys and indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	if n, ok := v.(json.Number); ok {
		i, err := n.Int64()
		if err == nil {
			return i
		}
	}
	return v
}

// textOf reassembles the reply text of a raw answer (streamed or not) the
// way a gateway would, from the fields each API puts text in.
func textOf(t *testing.T, path string, stream bool, body io.Reader) string {
	t.Helper()
	if !stream {
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		m := decode(t, string(b))
		switch {
		case strings.HasPrefix(path, "/v1/chat"):
			return at(m, "choices", 0, "message", "content").(string)
		case strings.HasPrefix(path, "/v1/responses"):
			return at(m, "output", 0, "content", 0, "text").(string)
		case strings.HasPrefix(path, "/v1/messages"):
			return at(m, "content", 0, "text").(string)
		default:
			return at(m, "candidates", 0, "content", "parts", 0, "text").(string)
		}
	}
	events, _ := readSSE(t, body, false)
	var sb strings.Builder
	for _, e := range events {
		if e.data == "[DONE]" {
			continue
		}
		m := decode(t, e.data)
		var s any
		switch {
		case strings.HasPrefix(path, "/v1/chat"):
			s = at(m, "choices", 0, "delta", "content")
		case strings.HasPrefix(path, "/v1/responses"):
			if e.name == "response.output_text.delta" {
				s = at(m, "delta")
			}
		case strings.HasPrefix(path, "/v1/messages"):
			s = at(m, "delta", "text")
		default:
			s = at(m, "candidates", 0, "content", "parts", 0, "text")
		}
		if str, ok := s.(string); ok {
			sb.WriteString(str)
		}
	}
	return sb.String()
}

// textOrFail reads a whole response body.
func textOrFail(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}
