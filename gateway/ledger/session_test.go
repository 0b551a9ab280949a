package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/apis"
)

// sessionOf is SessionID of a request body as the gateway reads it: one
// apis.ScanBody pass, whose findings SessionHints reads.
func sessionOf(h http.Header, body string) string {
	info, err := apis.ScanBody([]byte(body))
	if err != nil {
		return SessionID(h, apis.SessionHints{})
	}
	return SessionID(h, info.SessionHints([]byte(body)))
}

func TestSessionID(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	// raw sets a header without canonicalizing its name, as some
	// transports deliver them.
	raw := func(k, v string) http.Header { return http.Header{http.CanonicalHeaderKey(k): {v}} }

	chat1 := `{"model":"gpt-4o","messages":[{"role":"system","content":"be nice"},{"role":"user","content":"hi there"}]}`
	chat2 := `{"model":"gpt-4o","messages":[{"role":"system","content":"be nice"},{"role":"user","content":"hi there"},` +
		`{"role":"assistant","content":"hello"},{"role":"user","content":"more"}]}`
	chatParts := `{"messages":[{"role":"user","content":[{"type":"text","text":"hi there"}]}],"model":"gpt-4o"}`
	otherModel := `{"model":"gpt-5","messages":[{"role":"user","content":"hi there"}]}`
	fp := sessionOf(nil, chat1)

	tests := []struct {
		name string
		h    http.Header
		body string
		want string // "=fp" means the chat1 fingerprint; "!fp" a different fingerprint
	}{
		{"x-session-id wins", hdr("X-Session-Id", "pi-123", "X-Claude-Code-Session-Id", "cc-1"), chat1, "pi-123"},
		{"claude code header", hdr("x-claude-code-session-id", "0c9a6f1e-aaaa-bbbb-cccc-123456789abc"), chat1,
			"0c9a6f1e-aaaa-bbbb-cccc-123456789abc"},
		{"codex session-id", hdr("session-id", "codex-s", "thread-id", "codex-t"), "", "codex-s"},
		{"codex session_id", raw("session_id", "codex-u"), "", "codex-u"},
		{"codex thread-id only", hdr("thread-id", "codex-t"), "", "codex-t"},
		{"header trimmed", hdr("X-Session-Id", "  spaced  "), "", "spaced"},
		{"header bounded", hdr("X-Session-Id", strings.Repeat("x", 500)), "", strings.Repeat("x", maxSessionID)},
		{"blank header ignored", hdr("X-Session-Id", "   "), chat1, "=fp"},
		{"claude code user_id JSON object",
			nil, `{"model":"claude-opus-4-5","metadata":{"user_id":"{\"device_id\":\"d\",\"account_uuid\":\"a\",\"session_id\":\"5f7e-sess\"}"},"messages":[{"role":"user","content":"x"}]}`,
			"5f7e-sess"},
		{"claude code legacy user_id",
			nil, `{"metadata":{"user_id":"user_abc123_account_11111111-2222_session_33333333-4444-5555"},"model":"m","messages":[]}`,
			"33333333-4444-5555"},
		{"user_id without session falls back to fingerprint",
			nil, `{"model":"gpt-4o","metadata":{"user_id":"plain-user"},"messages":[{"role":"system","content":"be nice"},{"role":"user","content":"hi there"}]}`,
			"=fp"},
		{"metadata nested in a message is not top level",
			nil, `{"model":"gpt-4o","messages":[{"role":"system","content":"be nice"},{"role":"user","content":"hi there","metadata":{"user_id":"user_x_session_evil"}}]}`,
			"=fp"},
		{"next turn, same session", nil, chat2, "=fp"},
		{"content parts, same text", nil, chatParts, "=fp"},
		{"other model, other session", nil, otherModel, "!fp"},
		{"responses string input", nil, `{"model":"gpt-4o","input":"hi there"}`, "=fp"},
		{"responses item input", nil, `{"model":"gpt-4o","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi there"}]}]}`, "=fp"},
		{"gemini contents without role", nil, `{"model":"gpt-4o","contents":[{"parts":[{"text":"hi there"}]}]}`, "=fp"},
		{"anthropic system is separate", nil, `{"model":"gpt-4o","system":"be nice","messages":[{"role":"user","content":"hi there"}]}`, "=fp"},
		{"no user message", nil, `{"model":"gpt-4o","messages":[{"role":"system","content":"x"}]}`, ""},
		{"not JSON", nil, `hello`, ""},
		{"empty", nil, ``, ""},
		// The body is read as the provider reads it: keys unescaped, the
		// last of a repeated member, only real members.
		{"escaped model key", nil, `{"mod\u0065l":"gpt-4o","messages":[{"role":"user","content":"hi there"}]}`, "=fp"},
		{"escaped messages key", nil, `{"model":"gpt-4o","m\u0065ssages":[{"r\u006fle":"\u0075ser","content":"hi there"}]}`, "=fp"},
		{"escaped metadata key", nil, `{"model":"m","met\u0061data":{"user_\u0069d":"user_a_session_s1"},"messages":[]}`, "s1"},
		{"repeated messages: the last", nil, `{"model":"gpt-4o","messages":[{"role":"user","content":"decoy"}],"messages":[{"role":"user","content":"hi there"}]}`, "=fp"},
		{"repeated content: the last", nil, `{"model":"gpt-4o","messages":[{"role":"user","content":"decoy","content":"hi there"}]}`, "=fp"},
		{"role look-alike in a string", nil, `{"model":"gpt-4o","messages":[{"role":"system","content":"{\"role\":\"user\",\"content\":\"x\"}"},{"role":"user","content":"hi there"}]}`, "=fp"},
		{"ambiguous body (two models)", nil, `{"model":"gpt-4o","model":"gpt-5","messages":[{"role":"user","content":"hi there"}]}`, ""},
		{"truncated JSON", nil, `{"model":"gpt-4o","messages":[{"role":"user","content":"hi`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sessionOf(tt.h, tt.body)
			switch tt.want {
			case "=fp":
				if got != fp {
					t.Errorf("SessionID = %q, want the conversation fingerprint %q", got, fp)
				}
			case "!fp":
				if got == fp || !strings.HasPrefix(got, "fp_") {
					t.Errorf("SessionID = %q, want a different fingerprint than %q", got, fp)
				}
			default:
				if got != tt.want {
					t.Errorf("SessionID = %q, want %q", got, tt.want)
				}
			}
		})
	}
	if len(fp) != len("fp_")+16 || !strings.HasPrefix(fp, "fp_") {
		t.Errorf("fingerprint %q, want fp_ and 16 hex digits", fp)
	}
}

func BenchmarkSessionIDLargeBody(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"model":"claude-sonnet-4-6","max_tokens":8000,"messages":[{"role":"user","content":"start"}`)
	for range 2000 {
		buf.WriteString(`,{"role":"assistant","content":[{"type":"text","text":"` + strings.Repeat("lorem ipsum ", 20) + `"}]}`)
	}
	buf.WriteString(`],"metadata":{"user_id":"user_h_account_a_session_s"}}`)
	body := buf.Bytes()
	info, err := apis.ScanBody(body) // the gateway's one pass, done anyway
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if SessionID(nil, info.SessionHints(body)) != "s" {
			b.Fatal("wrong session")
		}
	}
}

// TestFingerprint: the same ID as hashing the joined string, and one
// allocation (the ID) for a first message that fits the stack buffer.
func TestFingerprint(t *testing.T) {
	for _, tt := range []struct{ model, text string }{
		{"gpt-4o", "hello"}, {"", ""}, {"claude-sonnet-4-5", strings.Repeat("long ", 400)},
	} {
		sum := sha256.Sum256([]byte(tt.model + "\x00" + tt.text))
		if got, want := fingerprint(tt.model, tt.text), "fp_"+hex.EncodeToString(sum[:8]); got != want {
			t.Errorf("fingerprint(%q, %d bytes) = %s, want %s", tt.model, len(tt.text), got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { fingerprint("gpt-4o", "respond with: hello") }); n != 1 {
		t.Errorf("fingerprint allocated %v times, want 1", n)
	}
}
