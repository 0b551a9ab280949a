package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/tsplug/ts-plug/gateway/apis"
)

// maxSessionID bounds a client-chosen session ID, which is stored on
// every row of the session.
const maxSessionID = 128

// sessionHeaders are the request headers that carry a session ID, in
// order of preference: the generic x-session-id any client may send (the
// Pi extension does) wins, then Claude Code's, then Codex's session and,
// failing that, thread ID.
var sessionHeaders = []string{
	"X-Session-Id",
	"X-Claude-Code-Session-Id",
	"Session-Id",
	"Session_id",
	"Thread-Id",
	"Thread_id",
}

// SessionID groups a request with the others of the same conversation.
// It tries, in order:
//
//  1. a session header (see sessionHeaders);
//  2. Claude Code's body field metadata.user_id: a JSON string that holds
//     either a JSON object with "session_id" (current versions) or, in
//     older versions, "user_<hash>_account_<uuid>_session_<uuid>";
//  3. a conversation fingerprint, "fp_" and 16 hex digits: a hash of the
//     model and the text of the first user message (chat and Anthropic
//     "messages", Responses "input", Gemini "contents"). Every turn of a
//     chat resends that first message unchanged, so the turns group
//     together without any client cooperation. The hash leaves out who is
//     calling so the same ID can be recomputed from a capture alone; two
//     callers opening with the same message share the ID, and Sessions
//     keeps them apart by grouping on (session, principal).
//
// The body's part comes from apis.BodyInfo.SessionHints: read from the
// one exact pass the gateway makes over the request body, so the session
// is taken from the body the provider reads. It returns "" when none
// applies (not JSON, no user message); the caller may then assign a
// random ID.
func SessionID(h http.Header, body apis.SessionHints) string {
	for _, name := range sessionHeaders {
		if v := cleanSessionID(h.Get(name)); v != "" {
			return v
		}
	}
	if id := claudeCodeSession(body.UserID); id != "" {
		return id
	}
	if !body.HasFirstUser {
		return ""
	}
	return fingerprint(body.Model, body.FirstUserText)
}

// fingerprint is "fp_" and the first 16 hex digits of the SHA-256 of
// model, a NUL and text. Every request without a session asks for one:
// the hashed bytes are gathered on the stack when they fit, and the ID
// is the one allocation.
func fingerprint(model, text string) string {
	var stack [512]byte
	sum := sha256.Sum256(append(append(append(stack[:0], model...), 0), text...))
	var id [3 + 16]byte
	copy(id[:], "fp_")
	hex.Encode(id[3:], sum[:8])
	return string(id[:])
}

// cleanSessionID trims a client-supplied ID and bounds its length.
func cleanSessionID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxSessionID {
		s = s[:maxSessionID]
	}
	return s
}

// claudeCodeSession reads the session from Anthropic's metadata.user_id.
// Its value is Claude Code's own string, not a member the provider reads,
// so the JSON object it may hold is decoded with encoding/json.
func claudeCodeSession(userID string) string {
	if userID == "" {
		return ""
	}
	if strings.HasPrefix(strings.TrimSpace(userID), "{") {
		var inner struct {
			SessionID string `json:"session_id"`
		}
		if json.Unmarshal([]byte(userID), &inner) == nil {
			return cleanSessionID(inner.SessionID)
		}
		return ""
	}
	if i := strings.LastIndex(userID, "_session_"); i >= 0 {
		return cleanSessionID(userID[i+len("_session_"):])
	}
	return ""
}
