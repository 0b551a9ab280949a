package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

// pathsRefusedAtDispatch is true once serveAPI classifies requests with
// apis.DetectURL (the path as it arrived, decoded once) rather than
// apis.Detect(r.URL.Path): then every hostile path is answered 400 in
// the caller's dialect, not just refused. Set it with that change.
const pathsRefusedAtDispatch = true

// createdResponse has dave create a stored response and returns its ID.
func createdResponse(t *testing.T, f *fixture) string {
	t.Helper()
	res, body := do(t, "POST", f.url("dave", "/v1/responses"), seedResponses)
	var created struct{ ID string }
	json.Unmarshal([]byte(body), &created)
	if res.StatusCode != 200 || !strings.HasPrefix(created.ID, "resp_") {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	return created.ID
}

// escapeOne spells the first letter after "resp_" of id as a percent
// escape, with hex digits in the given case.
func escapeOne(id, format string) string {
	i := len("resp_")
	return id[:i] + fmt.Sprintf(format, id[i]) + id[i+1:]
}

func TestHostilePathsNeverReachTheProvider(t *testing.T) {
	f := newFixture(t)
	id := createdResponse(t, f)
	tests := []struct {
		name, who, method, path, body string
	}{
		{"dotdot encoded slashes", "alice", "GET", "/v1/responses/..%2F..%2Fadmin", ""},
		{"dotdot encoded slashes lowercase", "alice", "GET", "/v1/responses/..%2f..%2fadmin", ""},
		{"id then encoded dotdot", "alice", "GET", "/v1/responses/resp_1%2F..", ""},
		{"id then encoded dotdot delete", "alice", "DELETE", "/v1/responses/resp_1%2F..%2F..%2Fv1%2Ffiles", ""},
		{"encoded dots", "alice", "POST", "/v1/%2e%2e/v1/chat/completions", seedChat},
		{"encoded dots mixed", "alice", "POST", "/v1/chat/%2E./chat/completions", seedChat},
		{"double-encoded slash", "alice", "GET", "/v1/responses/resp_1%252F..%252F..%252Fadmin", ""},
		{"double-encoded slash cancel", "alice", "POST", "/v1/responses/..%252Fresp_1/cancel", ""},
		{"double-encoded id", "alice", "GET", "/v1/responses/" + escapeOne(id, "%%25%02X"), ""},
		{"double-encoded gemini model", "alice", "POST", "/v1beta/models/gemini-2.5-flash%252F..:generateContent", `{}`},
		{"encoded backslash", "alice", "GET", "/v1/responses/resp_1%5C..%5Cadmin", ""},
		{"encoded query in id", "alice", "GET", "/v1/responses/" + id + "%3Fstream=true", ""},
		{"NUL in id", "alice", "GET", "/v1/responses/" + id + "%00", ""},
		{"NUL in gemini model", "alice", "POST", "/v1beta/models/gemini-2.5-flash%00:generateContent", `{}`},
		{"newline in id", "alice", "DELETE", "/v1/responses/" + id + "%0A", ""},
		{"semicolon in id", "alice", "GET", "/v1/responses/" + id + ";x=1", ""},
		// Another caller's response under another spelling of its ID.
		{"other's id escaped", "ci", "GET", "/v1/responses/" + escapeOne(id, "%%%02X"), ""},
		{"other's id escaped lowercase", "ci", "DELETE", "/v1/responses/" + escapeOne(id, "%%%02x"), ""},
		{"other's id escaped cancel", "ci", "POST", "/v1/responses/" + escapeOne(id, "%%%02X") + "/cancel", ""},
		{"other's id escaped input items", "ci", "GET", "/v1/responses/" + escapeOne(id, "%%%02X") + "/input_items", ""},
		{"other's id double-encoded", "ci", "GET", "/v1/responses/" + escapeOne(id, "%%25%02X"), ""},
		{"other's id with NUL", "ci", "GET", "/v1/responses/" + id + "%00", ""},
		{"other's id in body, JSON escape", "ci", "POST", "/v1/responses",
			`{"model":"gpt-4o","input":"go on","previous_response_id":"` + escapeOne(id, `\u%04x`) + `"}`},
		{"other's id in body with NUL", "ci", "POST", "/v1/responses",
			`{"model":"gpt-4o","input":"go on","previous_response_id":"` + id + `\u0000"}`},
		{"other's id in body with space", "ci", "POST", "/v1/responses",
			`{"model":"gpt-4o","input":"go on","previous_response_id":"` + id + ` "}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.fake.Requests())
			res, body := do(t, tt.method, f.url(tt.who, tt.path), tt.body)
			if res.StatusCode != 400 && res.StatusCode != 404 {
				t.Errorf("%s %s: %d %s, want 400 or 404", tt.method, tt.path, res.StatusCode, body)
			}
			if reqs := f.fake.Requests(); len(reqs) != before {
				last := reqs[len(reqs)-1]
				t.Errorf("%s %s reached the provider as %s %q", tt.method, tt.path, last.Method, last.Path)
			}
		})
	}
	// The creator still reaches it, under any spelling of its ID.
	before := len(f.fake.Requests())
	if res, body := do(t, "GET", f.url("dave", "/v1/responses/"+escapeOne(id, "%%%02X")), ""); res.StatusCode != 200 {
		t.Errorf("creator, escaped id: %d %s", res.StatusCode, body)
	}
	if reqs := f.fake.Requests(); len(reqs) != before+1 || reqs[len(reqs)-1].Path != "/v1/responses/"+id {
		t.Errorf("creator's escaped GET forwarded as %+v, want /v1/responses/%s", reqs[before:], id)
	}
}

// With dispatch on apis.DetectURL, hostile paths are 400 in the dialect
// their path names, or the plain envelope where it names none.
func TestHostilePathsAnswered400InDialect(t *testing.T) {
	if !pathsRefusedAtDispatch {
		t.Skip("serveAPI does not call apis.DetectURL yet (issue 13 item 3)")
	}
	f := newFixture(t)
	tests := []struct {
		method, path, body string
		envelope           string // a JSON member only that dialect's error has
	}{
		{"GET", "/v1/responses/..%2F..%2Fadmin", "", `"error":{`},
		{"POST", "/v1/responses/resp_1%2Fcancel", "", `"error":{`},
		{"GET", "/v1/responses/resp_1%252F..", "", `"error":{`},
		{"GET", "/v1/responses/resp_1.json", "", `"error":{`},
		{"POST", "/v1/messages%2Fcount_tokens", seedMessages, `"type":"error"`},
		{"POST", "/v1beta/models/gemini-2.5-flash%3AgenerateContent", `{}`, `"status":"INVALID_ARGUMENT"`},
		{"POST", "/v1beta/models/gemini%2Fgemini-2.5-flash:generateContent", `{}`, `"status":"INVALID_ARGUMENT"`},
		{"POST", "/v1/%2e%2e/x", "", `"error"`},
	}
	for _, tt := range tests {
		before := len(f.fake.Requests())
		res, body := do(t, tt.method, f.url("alice", tt.path), tt.body)
		if res.StatusCode != 400 || !strings.Contains(body, tt.envelope) {
			t.Errorf("%s %s: %d %s, want 400 with %s", tt.method, tt.path, res.StatusCode, body, tt.envelope)
		}
		if len(f.fake.Requests()) != before {
			t.Errorf("%s %s reached the provider", tt.method, tt.path)
		}
	}
}

// requestLine records the request target each request reached the
// provider with, before the fake provider answers it.
type requestLine struct {
	mu   sync.Mutex
	uris []string
	next http.Handler
}

func (l *requestLine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.uris = append(l.uris, r.RequestURI)
	l.mu.Unlock()
	l.next.ServeHTTP(w, r)
}

func (l *requestLine) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.uris
	l.uris = nil
	return u
}

// allAPIs serves the four APIs to the loopback caller; the openai
// baseurl ends in /v1 as self-hosted servers are documented.
const allAPIs = `{"providers":{
	"anthropic":{"baseurl":"%[1]s","apikey":"a","models":["claude-sonnet-4-5"],"authorization":"x-api-key","compatibility":{"anthropic_messages":true}},
	"openai":{"baseurl":"%[1]s/v1","apikey":"o","models":["gpt-4o"],"compatibility":{"openai_chat":true,"openai_responses":true}},
	"gemini":{"baseurl":"%[1]s","apikey":"g","models":["gemini-2.5-flash"],"authorization":"x-goog-api-key","compatibility":{"gemini_generate_content":true}}},
	"grants":[{"src":["(loopback)"],"app":{"tailscale.com/cap/aperture":[{"role":"admin"},{"models":"**"}]}}]}`

func TestNormalPathsForwardedByteForByte(t *testing.T) {
	lines := &requestLine{next: fakellm.New().Handler()}
	_, front := localGateway(t, lines, allAPIs, Options{Ledger: &recordingSink{}})
	const gem = `{"contents":[{"parts":[{"text":"hi"}]}]}`
	tests := []struct {
		method, path, body, want string
	}{
		{"POST", "/v1/chat/completions", seedChat, "/v1/chat/completions"},
		{"POST", "/chat/completions", seedChat, "/v1/chat/completions"},
		{"POST", "/v1/messages?beta=true", strings.Replace(seedMessages, "claude-haiku-4-5-20251001", "claude-sonnet-4-5", 1), "/v1/messages?beta=true"},
		{"POST", "/v1/messages/count_tokens?beta=true", `{"model":"claude-sonnet-4-5","messages":[]}`, "/v1/messages/count_tokens?beta=true"},
		{"POST", "/v1/responses", seedResponses, "/v1/responses"},
		{"POST", "/v1/responses/compact", seedResponses, "/v1/responses/compact"},
		{"GET", "/v1/responses/resp_Ab-9_z?stream=true", "", "/v1/responses/resp_Ab-9_z?stream=true"},
		{"GET", "/v1/responses/resp_Ab-9_z/input_items?limit=2&order=asc", "", "/v1/responses/resp_Ab-9_z/input_items?limit=2&order=asc"},
		{"DELETE", "/v1/responses/resp_Ab-9_z", "", "/v1/responses/resp_Ab-9_z"},
		{"POST", "/v1/responses/resp_Ab-9_z/cancel", "", "/v1/responses/resp_Ab-9_z/cancel"},
		// An escape of an unreserved character goes out decoded: the
		// provider is asked for the ID the gateway checked.
		{"GET", "/v1/responses/resp_%41b-9_z", "", "/v1/responses/resp_Ab-9_z"},
		{"POST", "/v1beta/models/gemini-2.5-flash:generateContent", gem, "/v1beta/models/gemini-2.5-flash:generateContent"},
		{"POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", gem, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"},
		{"POST", "/v1beta/models/gemini-2.5-flash:countTokens", gem, "/v1beta/models/gemini-2.5-flash:countTokens"},
		// The genai SDK's form of a provider/model FQN: a literal slash.
		{"POST", "/v1beta/models/gemini/gemini-2.5-flash:generateContent", gem, "/v1beta/models/gemini-2.5-flash:generateContent"},
		{"POST", "/v1/models/gemini-2.5-flash:generateContent", gem, "/v1/models/gemini-2.5-flash:generateContent"},
	}
	for _, tt := range tests {
		do(t, tt.method, front+tt.path, tt.body)
		if got := lines.take(); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s %s reached the provider as %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestKeyQueryNeverForwardedUnderAnySpelling(t *testing.T) {
	lines := &requestLine{next: fakellm.New().Handler()}
	_, front := localGateway(t, lines, allAPIs, Options{Ledger: &recordingSink{}})
	const gem = `{"contents":[{"parts":[{"text":"hi"}]}]}`
	for _, q := range []string{
		"key=client", "KEY=client", "Key=client", "%6Bey=client", "%6B%45%59=client", "ke%79=client",
		"key=a&key=b", "key=client&KEY=other", "key=%zz", "alt=sse;key=client", "key",
	} {
		path := "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&" + q
		do(t, "POST", front+path, gem)
		got := lines.take()
		if len(got) != 1 {
			t.Errorf("%s: forwarded %q", path, got)
			continue
		}
		if _, query, _ := strings.Cut(got[0], "?"); query != "alt=sse" {
			t.Errorf("%s reached the provider with query %q, want alt=sse only", path, query)
		}
	}
}
