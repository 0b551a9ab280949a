package fakellm

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestRecord(t *testing.T) {
	s, url := startServer(t, WithMaxRecordedBody(16))
	body := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	post(t, url+"/v1/chat/completions?x=1", body, "Authorization", "Bearer sk-seen")
	post(t, url+"/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[]}`, "x-goog-api-key", "AIza")

	reqs := s.Requests()
	if len(reqs) != 2 || s.RequestCount() != 2 {
		t.Fatalf("Requests = %d, RequestCount = %d, want 2", len(reqs), s.RequestCount())
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1/chat/completions" || r.RawQuery != "x=1" ||
		r.Header.Get("Authorization") != "Bearer sk-seen" || r.API != config.OpenAIChat ||
		r.Model != "gpt-4o" || !r.Stream || r.Time.IsZero() {
		t.Errorf("first request = %+v", r)
	}
	if string(r.Body) != body[:16] || r.BodySize != int64(len(body)) || !r.BodyTruncated {
		t.Errorf("body %q size %d truncated %v; want first 16 of %d bytes", r.Body, r.BodySize, r.BodyTruncated, len(body))
	}
	if last, ok := s.LastRequest(); !ok || last.API != config.GeminiGenerateContent || last.Model != "gemini-2.5-flash" || last.BodyTruncated {
		t.Errorf("LastRequest = %+v, %v", last, ok)
	}

	// The record hands out copies.
	reqs[0].Header.Set("Authorization", "changed")
	reqs[0].Body[0] = 'X'
	if again := s.Requests()[0]; again.Header.Get("Authorization") != "Bearer sk-seen" || again.Body[0] != '{' {
		t.Error("changing a returned Request changed the record")
	}

	s.Reset()
	if _, ok := s.LastRequest(); ok || s.RequestCount() != 0 || len(s.Requests()) != 0 {
		t.Error("record not empty after Reset")
	}
}

func TestRecordBounds(t *testing.T) {
	s := New(WithMaxRecords(3))
	for i := range 10 {
		s.record(Request{Path: string(rune('a' + i))})
	}
	var paths []string
	for _, r := range s.Requests() {
		paths = append(paths, r.Path)
	}
	if strings.Join(paths, "") != "hij" || s.RequestCount() != 10 {
		t.Errorf("kept %v, count %d; want [h i j], 10", paths, s.RequestCount())
	}
	if len(s.requests) >= 2*3 {
		t.Errorf("backing record holds %d entries, want < 6", len(s.requests))
	}
}

func TestCappedBuffer(t *testing.T) {
	c := &cappedBuffer{max: 5}
	for _, p := range []string{"ab", "cdef", "ghij"} {
		if n, err := c.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if c.buf.String() != "abcde" || c.total != 10 {
		t.Errorf("kept %q of %d, want abcde of 10", c.buf.String(), c.total)
	}
}

func TestRecordBigUpload(t *testing.T) {
	s, url := startServer(t)
	const size = 32 << 20
	req, err := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", hugeBody(size))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r, _ := s.LastRequest()
	if resp.StatusCode != 200 || r.Model != "gpt-4o" || len(r.Body) != DefaultMaxRecordedBody ||
		r.BodySize <= size || !r.BodyTruncated || !bytes.HasPrefix(r.Body, []byte(`{"model":"gpt-4o"`)) {
		t.Errorf("status %d, recorded model %q, %d of %d bytes", resp.StatusCode, r.Model, len(r.Body), r.BodySize)
	}
}
