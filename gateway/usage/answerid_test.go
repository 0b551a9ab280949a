package usage

import (
	"encoding/json"
	"testing"
)

func TestCreatedResponseID(t *testing.T) {
	created := func(response string) string {
		return "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":" + response + "}\n\n" +
			"event: response.in_progress\ndata: {\"type\":\"response.in_progress\",\"response\":{\"id\":\"resp_later\"}}\n\n"
	}
	tests := []struct {
		name, answer, want string
	}{
		{"json", `{"id":"resp_abc","object":"response"}`, "resp_abc"},
		{"stream", created(`{"id":"resp_abc","object":"response"}`), "resp_abc"},
		{"json: an id nested first is the caller's metadata", `{"object":"response","metadata":{"id":"resp_victim"},"id":"resp_own"}`, "resp_own"},
		{"stream: an id nested first", created(`{"metadata":{"id":"resp_victim"},"id":"resp_own"}`), "resp_own"},
		{"stream: an id in the event, not the response", "data: {\"id\":\"resp_victim\",\"response\":{\"id\":\"resp_own\"}}\n\n", "resp_own"},
		{"json: id in a string", `{"instructions":"\"id\":\"resp_victim\"","id":"resp_own"}`, "resp_own"},
		{"escaped name", `{"\u0069d":"resp_esc"}`, "resp_esc"},
		{"spaced", "{ \"id\" :\t\"resp_sp\" }", "resp_sp"},
		{"cut after the id", `{"id":"resp_cut","instructions":"long`, "resp_cut"},
		{"stream cut after the id", "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_cut\",\"instructions\":\"long", "resp_cut"},
		{"cut before the id", `{"object":"response","id":"resp_`, ""},
		{"id not a string", `{"id":5}`, ""},
		{"none", `{"object":"response"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CreatedResponseID([]byte(tt.answer)); got != tt.want {
				t.Errorf("CreatedResponseID = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzCreatedResponseID: on a whole JSON answer, the id is what
// encoding/json reads; on an event's data, the response's id likewise.
func FuzzCreatedResponseID(f *testing.F) {
	for _, s := range []string{
		`{"id":"resp_a","object":"response"}`,
		`{"metadata":{"id":"resp_x"},"id":"resp_a","id":"resp_b"}`,
		`{"\u0069d":"resp_\u0041","response":{"id":"x"}}`,
		`{"response":{"id":"a"},"response":{"x":1}}`,
		`{"response":{"id":"a"},"response":null,"id":1}`,
		"{ \"response\" : { \"id\" : \"\xff\" } }",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var top map[string]json.RawMessage
		if json.Unmarshal(doc, &top) != nil || top == nil {
			return
		}
		str := func(raw json.RawMessage) string {
			var s string
			if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
				return s
			}
			return ""
		}
		var r memberReader
		if got, want := r.pathString(doc, responseIDPath[1:]), str(top["id"]); got != want {
			t.Fatalf("%q: id %q, encoding/json %q", doc, got, want)
		}
		var resp map[string]json.RawMessage
		want := ""
		if raw := top["response"]; len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &resp) == nil {
			want = str(resp["id"])
		}
		if got := r.pathString(doc, responseIDPath); got != want {
			t.Fatalf("%q: response.id %q, encoding/json %q", doc, got, want)
		}
	})
}
