package fakellm

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestFailNextQueue(t *testing.T) {
	s := New()
	s.FailNext(1, Failure{Status: 429})
	s.FailNext(2, Failure{Cut: true})
	s.FailNext(0, Failure{Status: 400}) // ignored
	if n := s.PendingFailures(); n != 3 {
		t.Fatalf("PendingFailures = %d, want 3", n)
	}
	var got []string
	for range 4 {
		f, ok := s.takeFailure()
		switch {
		case !ok:
			got = append(got, "none")
		case f.Cut:
			got = append(got, "cut")
		default:
			got = append(got, http.StatusText(f.Status))
		}
	}
	if want := "Too Many Requests,cut,cut,none"; strings.Join(got, ",") != want {
		t.Errorf("order = %v, want %s", got, want)
	}
	s.FailNext(5, Failure{})
	s.ClearFailures()
	if _, ok := s.takeFailure(); ok {
		t.Error("failure left after ClearFailures")
	}
}

func TestFailureNormalized(t *testing.T) {
	tests := []struct {
		in         Failure
		status     int
		msgContain string
	}{
		{Failure{}, 500, "internal server error"},
		{Failure{Status: 503}, 503, "service unavailable"},
		{Failure{Status: 429, Message: "custom"}, 429, "custom"},
		{Failure{Cut: true}, 0, "injected"},
	}
	for _, tt := range tests {
		f := tt.in.normalized()
		if f.Status != tt.status || !strings.Contains(f.Message, tt.msgContain) {
			t.Errorf("%+v normalized = %+v", tt.in, f)
		}
	}
}

func TestFailureOnTheWire(t *testing.T) {
	s, url := startServer(t)
	chat := `{"model":"gpt-4o","messages":[{"role":"user","content":"respond with: hello"}]}`
	chatStream := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"respond with: hello"}]}`

	t.Run("status error then success", func(t *testing.T) {
		s.FailNext(1, Failure{Status: 503, Message: "down", AfterEvents: 3})
		// AfterEvents does not apply to a non-streaming request.
		resp := post(t, url+"/v1/chat/completions", chat)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 503 || !strings.Contains(string(body), `"message":"down"`) {
			t.Errorf("got %d %s", resp.StatusCode, body)
		}
		if resp := post(t, url+"/v1/chat/completions", chat); resp.StatusCode != 200 {
			t.Errorf("next request = %d, want 200", resp.StatusCode)
		}
	})

	t.Run("cut non-streaming", func(t *testing.T) {
		s.FailNext(1, Failure{Cut: true})
		resp := post(t, url+"/v1/chat/completions", chat)
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || err == nil || len(body) != cutBodyBytes {
			t.Errorf("got %d, %d bytes, err %v; want 200, %d bytes, then an error", resp.StatusCode, len(body), err, cutBodyBytes)
		}
	})

	t.Run("cut stream", func(t *testing.T) {
		s.FailNext(1, Failure{Cut: true, AfterEvents: 2})
		resp := post(t, url+"/v1/chat/completions", chatStream)
		events, err := readSSE(t, resp.Body, true)
		if err == nil || len(events) != 2 {
			t.Errorf("got %d events, err %v; want 2 then an error", len(events), err)
		}
	})

	t.Run("cut after the last event", func(t *testing.T) {
		s.FailNext(1, Failure{Cut: true, AfterEvents: 100})
		resp := post(t, url+"/v1/chat/completions", chatStream)
		events, err := readSSE(t, resp.Body, true)
		if err == nil || len(events) == 0 || events[len(events)-1].data != "[DONE]" {
			t.Errorf("got %d events, err %v; want the whole stream then an error", len(events), err)
		}
	})
}

func TestStreamErrorEvents(t *testing.T) {
	s, url := startServer(t)
	tests := []struct {
		name, path, body string
		wantName         string
		wantData         string
	}{
		{"chat", "/v1/chat/completions", `{"model":"m","stream":true,"messages":[]}`,
			"", `{"error":{"message":"bad","type":"server_error","param":null,"code":null}}`},
		{"responses", "/v1/responses", `{"model":"m","stream":true,"input":"x"}`,
			"error", `{"type":"error","code":"server_error","message":"bad","param":null,"sequence_number":1}`},
		{"gemini", "/v1beta/models/g:streamGenerateContent?alt=sse", `{"contents":[]}`,
			"", `{"error":{"code":500,"message":"bad","status":"INTERNAL"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.FailNext(1, Failure{Status: 500, Message: "bad", AfterEvents: 1})
			resp := post(t, url+tt.path, tt.body)
			events, _ := readSSE(t, resp.Body, false)
			if resp.StatusCode != 200 || len(events) != 2 {
				t.Fatalf("status %d, %d events, want 200 and 2", resp.StatusCode, len(events))
			}
			if e := events[1]; e.name != tt.wantName || e.data != tt.wantData {
				t.Errorf("error event = %q %s\nwant %q %s", e.name, e.data, tt.wantName, tt.wantData)
			}
		})
	}

	t.Run("anthropic", func(t *testing.T) {
		s.FailNext(1, Failure{Status: 529, Message: "Overloaded", AfterEvents: 1})
		resp := post(t, url+"/v1/messages", `{"model":"m","stream":true,"messages":[]}`)
		events, _ := readSSE(t, resp.Body, false)
		if len(events) != 2 || events[1].name != "error" {
			t.Fatalf("events = %+v", events)
		}
		m := decode(t, events[1].data)
		if at(m, "type") != "error" || at(m, "error", "type") != "overloaded_error" || at(m, "error", "message") != "Overloaded" {
			t.Errorf("error event = %s", events[1].data)
		}
	})
}
