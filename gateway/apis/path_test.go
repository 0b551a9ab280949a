package apis

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/routing"
)

func TestDecodePath(t *testing.T) {
	tests := []struct {
		name, escaped, want string
		ok                  bool
	}{
		{"plain", "/v1/chat/completions", "/v1/chat/completions", true},
		{"gemini", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", true},
		{"gemini fqn as the genai SDK sends it", "/v1beta/models/google/gemini-2.5-pro:generateContent", "/v1beta/models/google/gemini-2.5-pro:generateContent", true},
		{"vertex version", "/v1/models/claude@2024:generateContent", "/v1/models/claude@2024:generateContent", true},
		{"unreserved escape decoded", "/v1/responses/resp_%41BC", "/v1/responses/resp_ABC", true},
		{"lowercase unreserved escape", "/v1/responses/resp_%61bc", "/v1/responses/resp_abc", true},
		{"trailing slash", "/v1/responses/", "/v1/responses/", true},
		{"root", "/", "/", true},

		{"encoded slash", "/v1/responses/resp_1%2F..", "", false},
		{"encoded slash lowercase", "/v1/responses/resp_1%2f..", "", false},
		{"encoded dotdot slash", "/v1/responses/..%2F..%2Fadmin", "", false},
		{"encoded backslash", "/v1/responses/a%5C..", "", false},
		{"encoded dots", "/v1/%2e%2e/x", "", false},
		{"mixed dots", "/v1/.%2E/x", "", false},
		{"encoded single dot", "/v1/%2E/chat/completions", "", false},
		{"literal dotdot", "/v1/responses/../admin", "", false},
		{"double encoding", "/v1/responses/resp_1%252F..", "", false},
		{"double encoding mixed case", "/v1/responses/resp_%2541BC", "", false},
		{"encoded colon", "/v1beta/models/gemini-2.5-flash%3AgenerateContent", "", false},
		{"encoded colon lowercase", "/v1beta/models/gemini-2.5-flash%3agenerateContent", "", false},
		{"encoded question mark", "/v1/responses/resp_1%3Fstream=true", "", false},
		{"encoded hash", "/v1/responses/resp_1%23x", "", false},
		{"NUL", "/v1/responses/resp_1%00", "", false},
		{"control", "/v1/responses/resp_1%0A", "", false},
		{"DEL", "/v1/responses/resp_1%7F", "", false},
		{"non-ASCII", "/v1/responses/resp_%C3%A9", "", false},
		{"overlong dot", "/v1/%C0%AE%C0%AE/x", "", false},
		{"encoded space", "/v1/a%20b", "", false},
		{"literal backslash", "/v1/responses/a\\b", "", false},
		{"literal semicolon", "/v1/chat/completions;x=1", "", false},
		{"literal brace", "/v1/responses/{id}", "", false},
		{"truncated escape", "/v1/responses/resp_%4", "", false},
		{"bad hex", "/v1/responses/resp_%zz", "", false},
		{"empty segment", "/v1//chat/completions", "", false},
		{"relative", "v1/chat/completions", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePath(tt.escaped)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("DecodePath(%q) = %q, %v; want %q, ok=%v", tt.escaped, got, err, tt.want, tt.ok)
			}
			var pe *PathError
			if err != nil && !errors.As(err, &pe) {
				t.Errorf("error %v is not a *PathError", err)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\x00\n\x7f") {
				t.Errorf("error echoes a control character: %q", err)
			}
		})
	}
}

// parseTarget parses a request target the way net/http's server does.
func parseTarget(t testing.TB, target string) *url.URL {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("ParseRequestURI(%q): %v", target, err)
	}
	return u
}

func TestDetectURL(t *testing.T) {
	const get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	tests := []struct {
		name, method, target string
		want                 Route
		err                  string // "" ok, "400" PathError, "404" ErrNoRoute
	}{
		{"chat", post, "/v1/chat/completions", Route{API: config.OpenAIChat, Op: OpCreate, Path: "/v1/chat/completions"}, ""},
		{"messages beta", post, "/v1/messages?beta=true", Route{API: config.AnthropicMessages, Op: OpCreate, Path: "/v1/messages"}, ""},
		{"responses get stream", get, "/v1/responses/resp_1?stream=true", Route{API: config.OpenAIResponses, Op: OpGetResponse, ResponseID: "resp_1", Stream: true, Path: "/v1/responses/resp_1"}, ""},
		{"stream despite a bad pair", get, "/v1/responses/resp_1?x=%zz&stream=true", Route{API: config.OpenAIResponses, Op: OpGetResponse, ResponseID: "resp_1", Stream: true, Path: "/v1/responses/resp_1"}, ""},
		{"id decoded once", get, "/v1/responses/resp_%41BC", Route{API: config.OpenAIResponses, Op: OpGetResponse, ResponseID: "resp_ABC", Path: "/v1/responses/resp_ABC"}, ""},
		{"delete", del, "/v1/responses/resp_1", Route{API: config.OpenAIResponses, Op: OpDeleteResponse, ResponseID: "resp_1", Path: "/v1/responses/resp_1"}, ""},
		{"cancel", post, "/v1/responses/resp_1/cancel", Route{API: config.OpenAIResponses, Op: OpCancelResponse, ResponseID: "resp_1", Path: "/v1/responses/resp_1/cancel"}, ""},
		{"input items", get, "/v1/responses/resp_1/input_items?limit=2", Route{API: config.OpenAIResponses, Op: OpListInputItems, ResponseID: "resp_1", Path: "/v1/responses/resp_1/input_items"}, ""},
		{"gemini fqn", post, "/v1beta/models/google/gemini-2.5-pro:streamGenerateContent?alt=sse",
			Route{API: config.GeminiGenerateContent, Op: OpCreate, Stream: true, Model: "google/gemini-2.5-pro", Path: "/v1beta/models/google/gemini-2.5-pro:streamGenerateContent"}, ""},

		{"encoded slash in id", get, "/v1/responses/..%2F..%2Fadmin", Route{}, "400"},
		{"encoded slash makes cancel", post, "/v1/responses/resp_1%2Fcancel", Route{}, "400"},
		{"double-encoded id", get, "/v1/responses/resp_%2541BC", Route{}, "400"},
		{"encoded query in id", get, "/v1/responses/resp_1%3Fstream=true", Route{}, "400"},
		{"gemini encoded verb", post, "/v1beta/models/gemini-2.5-flash%3AgenerateContent", Route{}, "400"},
		{"gemini encoded fqn slash", post, "/v1beta/models/google%2Fgemini-2.5-pro:generateContent", Route{}, "400"},
		{"NUL in id", get, "/v1/responses/resp_1%00", Route{}, "400"},
		{"id with a dot", get, "/v1/responses/resp_1.json", Route{}, "400"},
		{"id with a tilde", del, "/v1/responses/resp~1", Route{}, "400"},
		{"dots outside any route", get, "/v1/%2e%2e/x", Route{}, "400"},

		{"no route", get, "/v1/unknown", Route{}, "404"},
		{"responses POST id", post, "/v1/responses/resp_1", Route{}, "404"},
		{"gateway models", get, "/v1/models", Route{}, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := parseTarget(t, tt.target)
			got, err := DetectURL(tt.method, u)
			var pe *PathError
			switch {
			case tt.err == "" && err != nil, tt.err == "400" && !errors.As(err, &pe), tt.err == "404" && !errors.Is(err, ErrNoRoute):
				t.Fatalf("DetectURL(%s, %q) err = %v, want %s", tt.method, tt.target, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("DetectURL(%s, %q) = %+v, want %+v", tt.method, tt.target, got, tt.want)
			}
			if err == nil && got.Path != u.Path {
				t.Errorf("Path %q differs from net/url's decoding %q", got.Path, u.Path)
			}
		})
	}
}

// RawPath is read even when it holds bytes that make EscapedPath drop it
// and re-escape the decoded path, which would hide the encoded slash.
func TestRequestPathReadsRawPath(t *testing.T) {
	u := parseTarget(t, "/v1/responses/resp_1%2Fcancel{")
	if esc := u.EscapedPath(); strings.Contains(esc, "%2F") {
		t.Fatalf("premise: EscapedPath %q kept the raw path", esc)
	}
	if p, err := RequestPath(u); err == nil {
		t.Errorf("RequestPath = %q, want the encoded slash refused", p)
	}
}

func TestDetectRefusesDecodedHostilePaths(t *testing.T) {
	// What today's dispatch hands Detect: r.URL.Path, decoded once.
	for _, path := range []string{
		"/v1/responses/resp_1%2F..",           // from %252F
		"/v1/responses/resp_%41BC",            // from %2541
		"/v1/responses/resp_1\x00",            // from %00
		"/v1/responses/a\\..",                 // from %5C
		"/v1/responses/resp_1?stream=true",    // from %3F
		"/v1/responses/resp_1;x",              // path parameter
		"/v1/responses/../cancel",             // from ..%2F
		"/v1beta/models/../x:generateContent", // from %2e%2e
		"/v1beta/models/g%3Ax:generateContent",
		"/v1beta/models/g\x00:generateContent",
	} {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			if rt, ok := Detect(m, path); ok {
				t.Errorf("Detect(%s, %q) = %+v, want refused", m, path, rt)
			}
		}
	}
}

func TestValidResponseID(t *testing.T) {
	for id, want := range map[string]bool{
		"resp_68af4c1b2d3c8190a1b2c3d4e5f60718": true,
		"resp_ABC-def_1":                        true,
		"":                                      false,
		"resp_1/..":                             false,
		"resp_%41":                              false,
		"resp_1\x00":                            false,
		" resp_1":                               false,
		"resp_1.":                               false,
		"resp_é":                                false,
		strings.Repeat("a", 201):                false,
	} {
		if got := ValidResponseID(id); got != want {
			t.Errorf("ValidResponseID(%q) = %v, want %v", id, got, want)
		}
	}
}

// FuzzDetectURL: for any request target, DetectURL either refuses it or
// returns a path that net/url decodes identically (one decoding, no
// other), that re-escapes to a target routed the same way (detection is
// idempotent), and whose response ID is canonical.
func FuzzDetectURL(f *testing.F) {
	for _, s := range []string{
		"/v1/chat/completions", "/v1/responses/resp_%41BC?stream=true", "/v1/responses/..%2F..%2Fadmin",
		"/v1/responses/resp_1%252F..", "/v1/%2e%2e/x", "/v1beta/models/gemini-2.5-flash%3AgenerateContent",
		"/v1beta/models/google/gemini-2.5-pro:generateContent", "/v1/responses/resp_1/cancel", "/v1/responses/resp_1%00",
		"/models/a!b@c:countTokens", "/v1/responses/resp_1%2Fcancel{", "/v1/messages/count_tokens?beta=true",
	} {
		f.Add(s)
	}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodDelete}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // net/http answers 400 itself
		}
		for _, m := range methods {
			rt, err := DetectURL(m, u)
			if err != nil {
				continue
			}
			if rt.Path != u.Path {
				t.Fatalf("%s %q: Path %q, net/url decodes %q", m, target, rt.Path, u.Path)
			}
			if rt.API == config.OpenAIResponses && rt.ResponseID != "" && !ValidResponseID(rt.ResponseID) {
				t.Fatalf("%s %q: response ID %q", m, target, rt.ResponseID)
			}
			for _, seg := range strings.Split(rt.Path, "/") {
				if seg == "." || seg == ".." || strings.ContainsAny(seg, "%\\;?#\x00") {
					t.Fatalf("%s %q: segment %q authorized", m, target, seg)
				}
			}
			// What goes upstream is JoinURL's escaping of rt.Path; the
			// provider reading that back must see the same path (with
			// "/v1" added to a versionless one) and the same route.
			upURL, err := routing.JoinURL("http://provider.example", rt.Path, u.RawQuery)
			if err != nil {
				t.Fatalf("%s %q: JoinURL refuses the authorized path %q: %v", m, target, rt.Path, err)
			}
			up := parseTarget(t, strings.TrimPrefix(upURL, "http://provider.example"))
			if up.Path != rt.Path && up.Path != "/v1"+rt.Path {
				t.Fatalf("%s %q: provider reads path %q, gateway authorized %q", m, target, up.Path, rt.Path)
			}
			back, err := DetectURL(m, up)
			if back.Path = rt.Path; err != nil || back != rt {
				t.Fatalf("%s %q: forwarded as %q, which detects %+v, %v; want %+v", m, target, upURL, back, err, rt)
			}
			// Detect on the decoded path agrees, but for the query's
			// stream hint, which it does not see.
			plain, ok := Detect(m, rt.Path)
			plain.Path, plain.Stream = rt.Path, rt.Stream
			if !ok || plain != rt {
				t.Fatalf("%s %q: Detect(%q) = %+v, %v; DetectURL = %+v", m, target, rt.Path, plain, ok, rt)
			}
		}
	})
}
