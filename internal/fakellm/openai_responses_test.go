package fakellm

import (
	"net/http"
	"testing"
)

func TestResponsesStreamWire(t *testing.T) {
	_, url := startServer(t, WithUsage(richUsage))
	resp := post(t, url+"/v1/responses", `{"model":"gpt-4o","stream":true,"input":"respond with: hello"}`)
	events, _ := readSSE(t, resp.Body, false)
	if len(events) != 4+DefaultChunks+4 {
		t.Fatalf("%d events", len(events))
	}
	for i, e := range events {
		m := decode(t, e.data)
		if at(m, "type") != e.name || at(m, "sequence_number") != int64(i) {
			t.Errorf("event %d: name %q, data type %v, sequence_number %v", i, e.name, at(m, "type"), at(m, "sequence_number"))
		}
	}
	created := decode(t, events[0].data)
	if at(created, "response", "status") != "in_progress" || at(created, "response", "usage") != nil {
		t.Errorf("response.created = %s", events[0].data)
	}
	done := decode(t, events[len(events)-1].data)
	if at(done, "response", "status") != "completed" || at(done, "response", "usage", "input_tokens") != int64(480) ||
		at(done, "response", "output", 0, "content", 0, "text") != "hello" {
		t.Errorf("response.completed = %s", events[len(events)-1].data)
	}
}

func TestResponsesStore(t *testing.T) {
	_, url := startServer(t)
	get := func(id string) int {
		resp, err := http.Get(url + "/v1/responses/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	del := func(id string) int {
		req, _ := http.NewRequest(http.MethodDelete, url+"/v1/responses/"+id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	stored := decode(t, textOrFail(t, post(t, url+"/v1/responses", `{"model":"gpt-4o","input":"hi"}`)))["id"].(string)
	unstored := decode(t, textOrFail(t, post(t, url+"/v1/responses", `{"model":"gpt-4o","input":"hi","store":false}`)))["id"].(string)
	events, _ := readSSE(t, post(t, url+"/v1/responses", `{"model":"gpt-4o","input":"hi","stream":true}`).Body, false)
	streamed := at(decode(t, events[0].data), "response", "id").(string)

	tests := []struct {
		name string
		got  int
		want int
	}{
		{"GET stored", get(stored), 200},
		{"GET streamed", get(streamed), 200},
		{"GET store:false", get(unstored), 404},
		{"DELETE stored", del(stored), 200},
		{"DELETE again", del(stored), 404},
		{"GET deleted", get(stored), 404},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestResponseStoreBound(t *testing.T) {
	s := New()
	for i := range maxStoredResponses + 5 {
		s.storeResponse(storedResponse{id: string(rune(i))})
	}
	if _, ok := s.lookupResponse(string(rune(0)), false); ok {
		t.Error("oldest response kept past the bound")
	}
	if _, ok := s.lookupResponse(string(rune(maxStoredResponses+4)), false); !ok {
		t.Error("newest response dropped")
	}
	if len(s.responses.byID) != maxStoredResponses {
		t.Errorf("%d stored, want %d", len(s.responses.byID), maxStoredResponses)
	}
}
