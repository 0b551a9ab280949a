package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// modelsConfig serves a priced model with known limits on each API, and
// llama-local, which neither modelinfo nor the pricing table knows.
// alice may use everything, bob only anthropic/**.
const modelsConfig = `{
  "providers": {
    "anthropic": {"baseurl": "http://127.0.0.1:1", "apikey": "k", "models": ["claude-sonnet-4-5"], "cost_basis": "anthropic",
      "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}},
    "openai": {"baseurl": "http://127.0.0.1:1/v1", "apikey": "k", "models": ["gpt-4o"], "cost_basis": "openai",
      "compatibility": {"openai_chat": true, "openai_responses": true}},
    "gemini": {"baseurl": "http://127.0.0.1:1", "apikey": "k", "models": ["gemini-2.5-flash"], "cost_basis": "google",
      "authorization": "x-goog-api-key", "compatibility": {"gemini_generate_content": true}},
    "local": {"baseurl": "http://127.0.0.1:1/v1", "apikey": "k", "models": ["llama-local"],
      "compatibility": {"openai_chat": true}},
  },
  "grants": [
    {"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**"}]}},
    {"src": ["bob@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "anthropic/**"}]}},
  ],
}`

// listModels asks the gateway for its model list as who, with the
// header pairs hdr, and decodes the answer generically.
func listModels(t *testing.T, who, path string, hdr ...string) map[string]any {
	t.Helper()
	status, body := getModels(t, who, path, hdr...)
	if status != 200 {
		t.Fatalf("GET %s = %d %s", path, status, body)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
	return v
}

// getModels sends GET path to a gateway serving modelsConfig as who
// (alice, bob, or anyone else: a caller with no grant).
func getModels(t *testing.T, who, path string, hdr ...string) (int, []byte) {
	t.Helper()
	cfg, diags, err := config.Parse([]byte(modelsConfig))
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	whois := fakeWhoIs{"100.64.0.1": user("alice@example.com"), "100.64.0.2": user("bob@example.com"),
		"100.64.0.3": user("eve@example.com")}
	gw, err := New(cfg, []byte(modelsConfig), Options{WhoIs: whois.whois, Ledger: &recordingSink{}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ip := map[string]string{"alice": "100.64.0.1", "bob": "100.64.0.2", "eve": "100.64.0.3"}[who]
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = ip + ":41641"
		gw.ServeHTTP(w, r)
	}))
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

// entries returns a list's entries by model ID.
func entries(t *testing.T, list map[string]any, key, idField string) map[string]map[string]any {
	t.Helper()
	raw, ok := list[key].([]any)
	if !ok {
		t.Fatalf("no %q array in %v", key, list)
	}
	out := map[string]map[string]any{}
	for _, e := range raw {
		m := e.(map[string]any)
		out[fmt.Sprint(m[idField])] = m
	}
	return out
}

// get follows a dotted path of object keys.
func get(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func TestModelListFormats(t *testing.T) {
	type field struct {
		path []string
		want any // nil: the field must be absent
	}
	p := func(s ...string) []string { return s }
	tests := []struct {
		name      string
		path      string
		hdr       []string
		key, idF  string
		top       map[string]any // top-level fields
		known     string         // a priced model with known limits
		knownWant []field
		unknown   string
		unknWant  []field
	}{
		{
			name: "openai", path: "/v1/models", hdr: []string{"Authorization", "Bearer -"},
			key: "data", idF: "id", top: map[string]any{"object": "list"},
			known: "gpt-4o",
			knownWant: []field{
				{p("object"), "model"}, {p("owned_by"), "openai"}, {p("created"), 0.0},
				{p("context_window"), 128000.0}, {p("max_output_tokens"), 16384.0}, {p("reasoning"), false},
				{p("modalities", "input"), []any{"text", "image"}}, {p("modalities", "output"), []any{"text"}},
				{p("pricing", "input"), 2.5}, {p("pricing", "output"), 10.0}, {p("pricing", "cache_read"), 1.25},
				{p("pricing", "prompt"), "0.0000025"}, {p("pricing", "cost_basis"), "openai/gpt-4o"},
				{p("apis"), []any{"openai_chat", "openai_responses"}}, {p("provider"), "openai"},
				{p("supported_endpoints"), []any{"/v1/chat/completions", "/v1/responses"}},
				{p("type"), nil}, {p("display_name"), nil},
			},
			unknown: "llama-local",
			unknWant: []field{
				{p("object"), "model"}, {p("provider"), "local"}, {p("apis"), []any{"openai_chat"}},
				{p("context_window"), nil}, {p("max_output_tokens"), nil}, {p("reasoning"), nil},
				{p("modalities"), nil}, {p("pricing"), nil},
			},
		},
		{
			name: "anthropic", path: "/v1/models", hdr: []string{"Anthropic-Version", "2023-06-01", "X-Api-Key", "-"},
			key: "data", idF: "id",
			top:   map[string]any{"has_more": false, "first_id": "claude-sonnet-4-5", "last_id": "gpt-4o"},
			known: "claude-sonnet-4-5",
			knownWant: []field{
				{p("type"), "model"}, {p("display_name"), "claude-sonnet-4-5"}, {p("created_at"), "1970-01-01T00:00:00Z"},
				{p("max_input_tokens"), 200000.0}, {p("max_tokens"), 64000.0},
				{p("capabilities", "thinking", "supported"), true}, {p("capabilities", "image_input", "supported"), true},
				{p("capabilities", "pdf_input", "supported"), true},
				{p("pricing", "input"), 3.0}, {p("pricing", "output"), 15.0},
				{p("pricing", "cache_read"), 0.3}, {p("pricing", "cache_write"), 3.75},
				{p("apis"), []any{"anthropic_messages"}}, {p("provider"), "anthropic"},
				{p("object"), nil}, {p("context_window"), nil},
			},
			unknown: "llama-local",
			unknWant: []field{
				{p("type"), "model"}, {p("max_input_tokens"), nil}, {p("max_tokens"), nil},
				{p("capabilities"), nil}, {p("modalities"), nil}, {p("pricing"), nil},
			},
		},
		{
			name: "gemini", path: "/v1beta/models?pageSize=50", hdr: []string{"X-Goog-Api-Key", "-"},
			key: "models", idF: "name",
			known: "models/gemini-2.5-flash",
			knownWant: []field{
				{p("baseModelId"), "gemini-2.5-flash"}, {p("displayName"), "gemini-2.5-flash"},
				{p("inputTokenLimit"), 1048576.0}, {p("outputTokenLimit"), 65536.0}, {p("thinking"), true},
				{p("supportedGenerationMethods"), []any{"generateContent", "streamGenerateContent", "countTokens"}},
				{p("modalities", "input"), []any{"text", "image", "audio", "video", "pdf"}},
				{p("pricing", "input"), 0.3}, {p("pricing", "output"), 2.5},
				{p("apis"), []any{"gemini_generate_content"}}, {p("provider"), "gemini"},
			},
			unknown: "models/llama-local",
			unknWant: []field{
				// Not served over Gemini's API: listed, with no methods.
				{p("supportedGenerationMethods"), []any{}},
				{p("inputTokenLimit"), nil}, {p("outputTokenLimit"), nil}, {p("thinking"), nil},
				{p("modalities"), nil}, {p("pricing"), nil},
			},
		},
		{
			// A Gemini client whose base URL holds another version.
			name: "gemini by key", path: "/v1/models?key=-", key: "models", idF: "name",
			known:     "models/gemini-2.5-flash",
			knownWant: []field{{p("outputTokenLimit"), 65536.0}},
			unknown:   "models/llama-local",
			unknWant:  []field{{p("outputTokenLimit"), nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := listModels(t, "alice", tt.path, tt.hdr...)
			for k, want := range tt.top {
				if !reflect.DeepEqual(list[k], want) {
					t.Errorf("%s = %#v, want %#v", k, list[k], want)
				}
			}
			es := entries(t, list, tt.key, tt.idF)
			if len(es) != 4 {
				t.Errorf("listed %d models, want 4: %v", len(es), es)
			}
			check := func(id string, fields []field) {
				e, ok := es[id]
				if !ok {
					t.Fatalf("%s not listed", id)
				}
				for _, f := range fields {
					got := get(e, f.path...)
					if !reflect.DeepEqual(got, f.want) {
						t.Errorf("%s: %v = %#v, want %#v", id, f.path, got, f.want)
					}
				}
			}
			check(tt.known, tt.knownWant)
			check(tt.unknown, tt.unknWant)
		})
	}
}

// A caller sees only the models granted to it, in every format.
func TestModelListGranted(t *testing.T) {
	tests := []struct {
		name, path, key, idF string
		hdr                  []string
		want                 string
	}{
		{"openai", "/v1/models", "data", "id", nil, "claude-sonnet-4-5"},
		{"openai versionless", "/models", "data", "id", nil, "claude-sonnet-4-5"},
		{"anthropic", "/v1/models", "data", "id", []string{"Anthropic-Version", "2023-06-01"}, "claude-sonnet-4-5"},
		{"gemini", "/v1beta/models", "models", "name", nil, "models/claude-sonnet-4-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := entries(t, listModels(t, "bob", tt.path, tt.hdr...), tt.key, tt.idF)
			if _, ok := es[tt.want]; len(es) != 1 || !ok {
				t.Errorf("bob sees %v, want only %s", es, tt.want)
			}
		})
	}
}

func TestPerMillion(t *testing.T) {
	tests := map[string]string{
		"":                "",
		"0":               "0",
		"0.000003":        "3",
		"0.0000003":       "0.3",
		"0.00000375":      "3.75",
		"0.0000000000001": "0.0000001",
		"x":               "",
	}
	for in, want := range tests {
		if got := perMillion(in); string(got) != want {
			t.Errorf("perMillion(%q) = %q, want %q", in, got, want)
		}
	}
}
