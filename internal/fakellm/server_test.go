package fakellm

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestStartClose(t *testing.T) {
	s := New()
	url, err := s.Start()
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") || s.URL() != url {
		t.Fatalf("Start = %q, %v; URL %q", url, err, s.URL())
	}
	if _, err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	resp, err := http.Get(url + "/v1/models")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v1/models = %v, %v", resp, err)
	}
	resp.Body.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get(url + "/v1/models"); err == nil {
		t.Error("server still answers after Close")
	}
	if err := New().Close(); err != nil {
		t.Errorf("Close of an unstarted server = %v", err)
	}
}

func TestHandlerMountsAnywhere(t *testing.T) {
	s := New()
	mux := http.NewServeMux()
	mux.Handle("/upstream/", http.StripPrefix("/upstream", s.Handler()))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	resp := post(t, ts.URL+"/upstream/v1/messages", `{"model":"claude","messages":[{"role":"user","content":"respond with: mounted"}]}`)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"text":"mounted"`) {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
}

func TestBadRequests(t *testing.T) {
	_, url := startServer(t)
	tests := []struct {
		name, path, body string
		status           int
		contains         string
	}{
		{"unknown path", "/v1/v1/chat/completions", `{}`, 404, `"message":"Invalid URL (POST /v1/v1/chat/completions)"`},
		{"unknown gemini path", "/v1beta/models/g:countTokens", `{}`, 404, `"status":"NOT_FOUND"`},
		{"bad JSON", "/v1/chat/completions", `{"model":`, 400, `"type":"invalid_request_error"`},
		{"missing model", "/v1/messages", `{"messages":[]}`, 400, `"type":"invalid_request_error"`},
		{"unknown response", "/v1/responses/resp_nope", "", 404, `Response with id 'resp_nope' not found.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp *http.Response
			if tt.body == "" {
				var err error
				if resp, err = http.Get(url + tt.path); err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
			} else {
				resp = post(t, url+tt.path, tt.body)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
				t.Errorf("got %d %s; want %d containing %s", resp.StatusCode, body, tt.status, tt.contains)
			}
		})
	}
}

func TestRequiredKey(t *testing.T) {
	s, url := startServer(t, WithRequiredKey("K"))
	chat := `{"model":"m","messages":[]}`
	gem := `{"contents":[]}`
	tests := []struct {
		name, path, body string
		header           []string
		status           int
		contains         string
	}{
		{"openai none", "/v1/chat/completions", chat, nil, 401, "You didn't provide an API key"},
		{"openai wrong", "/v1/responses", `{"model":"m","input":"x"}`, []string{"Authorization", "Bearer X"}, 401, `"code":"invalid_api_key"`},
		{"openai x-api-key not accepted", "/v1/chat/completions", chat, []string{"x-api-key", "K"}, 401, "invalid_api_key"},
		{"openai bearer", "/v1/chat/completions", chat, []string{"Authorization", "Bearer K"}, 200, "chat.completion"},
		{"models needs key", "/v1/models", "", nil, 401, "invalid_request_error"},
		{"anthropic none", "/v1/messages", chat, nil, 401, `"type":"authentication_error"`},
		{"anthropic x-api-key", "/v1/messages", chat, []string{"x-api-key", "K"}, 200, `"type":"message"`},
		{"anthropic bearer", "/v1/messages/count_tokens", chat, []string{"Authorization", "Bearer K"}, 200, `"input_tokens"`},
		{"gemini none", "/v1beta/models/g:generateContent", gem, nil, 401, `"status":"UNAUTHENTICATED"`},
		{"gemini header", "/v1beta/models/g:generateContent", gem, []string{"x-goog-api-key", "K"}, 200, "candidates"},
		{"gemini query", "/v1beta/models/g:generateContent?key=K", gem, nil, 200, "candidates"},
		{"gemini bearer not accepted", "/v1beta/models/g:generateContent", gem, []string{"Authorization", "Bearer K"}, 401, "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.FailNext(1, Failure{Status: 500}) // a rejected request must not use it up
			defer s.ClearFailures()
			var resp *http.Response
			if tt.body == "" {
				req, _ := http.NewRequest("GET", url+tt.path, nil)
				var err error
				if resp, err = http.DefaultClient.Do(req); err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
			} else {
				resp = post(t, url+tt.path, tt.body, tt.header...)
			}
			body, _ := io.ReadAll(resp.Body)
			wantStatus := tt.status
			if wantStatus == 200 {
				wantStatus = 500 // passed the key check, so the failure applies
			}
			if resp.StatusCode != wantStatus || (tt.status != 200 && !strings.Contains(string(body), tt.contains)) {
				t.Errorf("got %d %s; want %d containing %s", resp.StatusCode, body, wantStatus, tt.contains)
			}
			if tt.status == 200 && s.PendingFailures() != 0 {
				t.Error("authorized request did not take the failure")
			}
			if tt.status != 200 && s.PendingFailures() != 1 {
				t.Error("rejected request took the failure")
			}
		})
	}
}

// TestBigStreamBoundedMemory streams 64 MiB through and checks the fake
// never held it: allocations stay far below the body size.
func TestBigStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 MiB")
	}
	const size = 64 << 20
	_, url := startServer(t, WithBodySize(size))
	for _, tt := range []struct{ name, path, body string }{
		{"chat stream", "/v1/chat/completions", `{"model":"m","stream":true,"messages":[]}`},
		{"responses stream", "/v1/responses", `{"model":"m","stream":true,"input":"x","store":false}`},
		{"anthropic stream", "/v1/messages", `{"model":"m","stream":true,"messages":[]}`},
		{"anthropic json", "/v1/messages", `{"model":"m","messages":[]}`},
		{"gemini stream", "/v1beta/models/g:streamGenerateContent?alt=sse", `{"contents":[]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			resp := post(t, url+tt.path, tt.body)
			n, err := io.Copy(io.Discard, resp.Body)
			runtime.ReadMemStats(&after)
			if err != nil || n < size {
				t.Fatalf("read %d bytes, %v; want more than %d", n, err, size)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > size/8 {
				t.Errorf("allocated %d MiB to serve %d MiB", alloc>>20, size>>20)
			}
		})
	}
}

// BenchmarkGeneratedStream measures how fast the fake streams a generated
// reply (chat completions, 16 KiB deltas).
func BenchmarkGeneratedStream(b *testing.B) {
	const size = 16 << 20
	s := New(WithBodySize(size), WithMaxRecords(1))
	url, err := s.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(size)
	for b.Loop() {
		resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","stream":true,"messages":[]}`))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// Responses object IDs have OpenAI's shape: 48 hex digits, the first 8
// the creation time in seconds, so that they sort by time as real ones do.
func TestObjectIDShape(t *testing.T) {
	at := time.Unix(0x67ccd2be, 0)
	id := objectID(at)
	if len(id) != 48 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("objectID = %q, want 48 hex digits", id)
	}
	if !strings.HasPrefix(id, "67ccd2be") {
		t.Errorf("objectID = %q, want it to begin with the time, 67ccd2be", id)
	}
	if later := objectID(at.Add(time.Second)); later <= id {
		t.Errorf("an ID a second later (%s) sorts before %s", later, id)
	}
}
