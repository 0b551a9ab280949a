package gateway

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestModelRetrieve: each API's retrieve call answers the list's entry
// for the model, by ID or FQN, in that API's shape.
func TestModelRetrieve(t *testing.T) {
	tests := []struct {
		name, path string
		hdr        []string
		idField    string
		want       string
	}{
		{"openai", "/v1/models/gpt-4o", []string{"Authorization", "Bearer -"}, "id", "gpt-4o"},
		{"openai without /v1", "/models/gpt-4o", nil, "id", "gpt-4o"},
		{"openai by FQN", "/v1/models/openai/gpt-4o", nil, "id", "gpt-4o"},
		{"anthropic", "/v1/models/claude-sonnet-4-5", []string{"Anthropic-Version", "2023-06-01", "X-Api-Key", "-"}, "id", "claude-sonnet-4-5"},
		{"gemini models.get", "/v1beta/models/gemini-2.5-flash", []string{"X-Goog-Api-Key", "-"}, "name", "models/gemini-2.5-flash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := listModels(t, "alice", tt.path, tt.hdr...)
			if got := v[tt.idField]; got != tt.want {
				t.Fatalf("%s = %v, want %q; entry %v", tt.idField, got, tt.want, v)
			}
			if v["provider"] == nil {
				t.Errorf("entry lacks the gateway's fields: %v", v)
			}
		})
	}
	// Gemini's entry carries its methods; the context window is on the
	// OpenAI entry: the same fields as the list's.
	g := listModels(t, "alice", "/v1beta/models/gemini-2.5-flash")
	if m, _ := g["supportedGenerationMethods"].([]any); len(m) == 0 {
		t.Errorf("gemini entry without methods: %v", g)
	}
	if o := listModels(t, "alice", "/v1/models/gpt-4o"); o["context_window"] == nil {
		t.Errorf("openai entry without context_window: %v", o)
	}
}

// TestModelRetrieveErrorsInDialect: a model the caller may not use and
// one that does not exist get the same 404, and a caller with no role a
// 403, each in the envelope of the API the caller speaks: its SDK reads
// nothing else.
func TestModelRetrieveErrorsInDialect(t *testing.T) {
	anth := []string{"Anthropic-Version", "2023-06-01"}
	tests := []struct {
		name, who, path string
		hdr             []string
		status          int
		check           func(map[string]any) bool
	}{
		{"openai ungranted", "bob", "/v1/models/gpt-4o", nil, 404, openAIShaped},
		{"openai unknown", "bob", "/v1/models/no-such-model", nil, 404, openAIShaped},
		{"anthropic ungranted", "bob", "/v1/models/gpt-4o", anth, 404, anthropicShaped},
		{"gemini ungranted", "bob", "/v1beta/models/gemini-2.5-flash", nil, 404, geminiShaped},
		{"openai list no role", "eve", "/v1/models", nil, 403, openAIShaped},
		{"anthropic list no role", "eve", "/v1/models", anth, 403, anthropicShaped},
		{"gemini list no role", "eve", "/v1beta/models", nil, 403, geminiShaped},
		{"gemini get no role", "eve", "/v1beta/models/gemini-2.5-flash", nil, 403, geminiShaped},
	}
	bodies := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := getModels(t, tt.who, tt.path, tt.hdr...)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil || !tt.check(v) {
				t.Fatalf("not in the caller's dialect (%v): %s", err, body)
			}
			bodies[tt.name] = string(body)
		})
	}
	// Existence is not revealed: ungranted and unknown differ only in the
	// name.
	a := strings.ReplaceAll(bodies["openai ungranted"], "gpt-4o", "X")
	b := strings.ReplaceAll(bodies["openai unknown"], "no-such-model", "X")
	if a != b {
		t.Errorf("an ungranted model's 404 differs from an unknown one's:\n%s\n%s", a, b)
	}
}

func openAIShaped(v map[string]any) bool {
	e, _ := v["error"].(map[string]any)
	return e != nil && e["message"] != nil && e["type"] != nil && v["type"] == nil
}

func anthropicShaped(v map[string]any) bool {
	e, _ := v["error"].(map[string]any)
	return v["type"] == "error" && e != nil && e["type"] != nil && e["message"] != nil
}

func geminiShaped(v map[string]any) bool {
	e, _ := v["error"].(map[string]any)
	return e != nil && e["code"] != nil && e["status"] != nil
}
