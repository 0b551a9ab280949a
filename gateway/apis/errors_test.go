package apis

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestErrorBody(t *testing.T) {
	const (
		chat   = config.OpenAIChat
		resp   = config.OpenAIResponses
		anth   = config.AnthropicMessages
		gemini = config.GeminiGenerateContent
	)
	tests := []struct {
		api    config.API
		status int
		kind   ErrorKind
		want   string
	}{
		// OpenAI chat and responses share one envelope.
		{chat, 0, KindPermissionDenied, `{"error":{"message":"msg","type":"permission_error","param":null,"code":"permission_denied"}}`},
		{chat, 0, KindModelNotFound, `{"error":{"message":"msg","type":"invalid_request_error","param":null,"code":"model_not_found"}}`},
		{resp, 0, KindModelNotFound, `{"error":{"message":"msg","type":"invalid_request_error","param":null,"code":"model_not_found"}}`},
		{chat, 0, KindNotFound, `{"error":{"message":"msg","type":"invalid_request_error","param":null,"code":"not_found"}}`},
		{chat, 0, KindInvalidRequest, `{"error":{"message":"msg","type":"invalid_request_error","param":null,"code":null}}`},
		{chat, 0, KindRequestTooLarge, `{"error":{"message":"msg","type":"invalid_request_error","param":null,"code":"request_too_large"}}`},
		{resp, 0, KindQuotaExceeded, `{"error":{"message":"msg","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`},
		{chat, 0, KindRateLimited, `{"error":{"message":"msg","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{chat, 0, KindAuthentication, `{"error":{"message":"msg","type":"authentication_error","param":null,"code":"invalid_api_key"}}`},
		{chat, 0, KindGuardrailBlocked, `{"error":{"message":"msg","type":"guardrail_blocked","param":null,"code":null}}`},
		{chat, 0, KindUpstreamUnreachable, `{"error":{"message":"msg","type":"server_error","param":null,"code":"upstream_unreachable"}}`},
		{chat, 0, KindUnavailable, `{"error":{"message":"msg","type":"server_error","param":null,"code":"service_unavailable"}}`},
		{chat, 0, KindInternal, `{"error":{"message":"msg","type":"server_error","param":null,"code":null}}`},

		// Anthropic.
		{anth, 0, KindPermissionDenied, `{"type":"error","error":{"type":"permission_error","message":"msg"}}`},
		{anth, 0, KindModelNotFound, `{"type":"error","error":{"type":"not_found_error","message":"msg"}}`},
		{anth, 0, KindNotFound, `{"type":"error","error":{"type":"not_found_error","message":"msg"}}`},
		{anth, 0, KindInvalidRequest, `{"type":"error","error":{"type":"invalid_request_error","message":"msg"}}`},
		{anth, 0, KindRequestTooLarge, `{"type":"error","error":{"type":"request_too_large","message":"msg"}}`},
		{anth, 0, KindQuotaExceeded, `{"type":"error","error":{"type":"rate_limit_error","message":"msg"}}`},
		{anth, 0, KindRateLimited, `{"type":"error","error":{"type":"rate_limit_error","message":"msg"}}`},
		{anth, 0, KindAuthentication, `{"type":"error","error":{"type":"authentication_error","message":"msg"}}`},
		{anth, 0, KindGuardrailBlocked, `{"type":"error","error":{"type":"invalid_request_error","message":"msg"}}`},
		{anth, 0, KindUpstreamUnreachable, `{"type":"error","error":{"type":"api_error","message":"msg"}}`},
		{anth, 0, KindUnavailable, `{"type":"error","error":{"type":"overloaded_error","message":"msg"}}`},
		{anth, 0, KindInternal, `{"type":"error","error":{"type":"api_error","message":"msg"}}`},

		// Gemini repeats the HTTP status in "code".
		{gemini, 0, KindPermissionDenied, `{"error":{"code":403,"message":"msg","status":"PERMISSION_DENIED"}}`},
		{gemini, 0, KindModelNotFound, `{"error":{"code":404,"message":"msg","status":"NOT_FOUND"}}`},
		{gemini, 0, KindInvalidRequest, `{"error":{"code":400,"message":"msg","status":"INVALID_ARGUMENT"}}`},
		{gemini, 0, KindRequestTooLarge, `{"error":{"code":413,"message":"msg","status":"INVALID_ARGUMENT"}}`},
		{gemini, 0, KindQuotaExceeded, `{"error":{"code":429,"message":"msg","status":"RESOURCE_EXHAUSTED"}}`},
		{gemini, 0, KindRateLimited, `{"error":{"code":429,"message":"msg","status":"RESOURCE_EXHAUSTED"}}`},
		{gemini, 0, KindAuthentication, `{"error":{"code":401,"message":"msg","status":"UNAUTHENTICATED"}}`},
		{gemini, 0, KindGuardrailBlocked, `{"error":{"code":403,"message":"msg","status":"PERMISSION_DENIED"}}`},
		{gemini, 0, KindUpstreamUnreachable, `{"error":{"code":502,"message":"msg","status":"UNAVAILABLE"}}`},
		{gemini, 0, KindUnavailable, `{"error":{"code":503,"message":"msg","status":"UNAVAILABLE"}}`},
		{gemini, 0, KindInternal, `{"error":{"code":500,"message":"msg","status":"INTERNAL"}}`},
		{gemini, 451, KindGuardrailBlocked, `{"error":{"code":451,"message":"msg","status":"PERMISSION_DENIED"}}`},

		// The gateway's own envelope for non-provider paths.
		{"", 0, KindPermissionDenied, `{"error":{"message":"msg","type":"permission_denied"}}`},
		{"", 0, KindNotFound, `{"error":{"message":"msg","type":"not_found"}}`},
		{"", 0, KindUnavailable, `{"error":{"message":"msg","type":"unavailable"}}`},
		{"", 0, ErrorKind("typo"), `{"error":{"message":"msg","type":"typo"}}`},

		// Unknown kinds fall back to internal in provider dialects.
		{anth, 0, ErrorKind("typo"), `{"type":"error","error":{"type":"api_error","message":"msg"}}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.api)+"/"+string(tt.kind), func(t *testing.T) {
			got := string(ErrorBody(tt.api, tt.status, tt.kind, "msg"))
			if got != tt.want {
				t.Errorf("ErrorBody(%q, %d, %q)\n got %s\nwant %s", tt.api, tt.status, tt.kind, got, tt.want)
			}
		})
	}
}

func TestErrorKindStatus(t *testing.T) {
	want := map[ErrorKind]int{
		KindPermissionDenied:    403,
		KindModelNotFound:       404,
		KindNotFound:            404,
		KindInvalidRequest:      400,
		KindRequestTooLarge:     413,
		KindQuotaExceeded:       429,
		KindRateLimited:         429,
		KindAuthentication:      401,
		KindGuardrailBlocked:    403,
		KindUpstreamUnreachable: 502,
		KindUnavailable:         503,
		KindInternal:            500,
		ErrorKind("typo"):       500,
	}
	for k, s := range want {
		if got := k.Status(); got != s {
			t.Errorf("%q.Status() = %d, want %d", k, got, s)
		}
	}
	if len(kinds) != len(want)-1 {
		t.Errorf("kinds has %d entries, test covers %d", len(kinds), len(want)-1)
	}
}

func TestErrorBodyEscapesMessage(t *testing.T) {
	msg := "model \"x\" <not> granted\n\u2028"
	for _, api := range append([]config.API{""}, config.APIs...) {
		body := ErrorBody(api, 0, KindModelNotFound, msg)
		var v struct {
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", api, body, err)
		}
		var e struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(v.Error, &e); err != nil || e.Message != msg {
			t.Errorf("%q: message = %q, %v; want %q", api, e.Message, err, msg)
		}
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		api        config.API
		status     int
		kind       ErrorKind
		wantStatus int
	}{
		{"default status", config.AnthropicMessages, 0, KindQuotaExceeded, 429},
		{"explicit status", config.OpenAIChat, 451, KindGuardrailBlocked, 451},
		{"gemini code follows status", config.GeminiGenerateContent, 0, KindUpstreamUnreachable, 502},
		{"gateway", "", 0, KindPermissionDenied, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("Retry-After", "17") // set by the caller, must survive
			WriteError(rec, tt.api, tt.status, tt.kind, "nope")
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if ra := res.Header.Get("Retry-After"); ra != "17" {
				t.Errorf("Retry-After = %q, want 17", ra)
			}
			want := string(ErrorBody(tt.api, tt.wantStatus, tt.kind, "nope"))
			if got := rec.Body.String(); got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(want)) {
				t.Errorf("Content-Length = %q, want %d", cl, len(want))
			}
		})
	}
}

func TestWriteErrorAPIFromPath(t *testing.T) {
	// The early-failure pattern: no route yet, dialect from the path.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/messages?beta=true", nil)
	WriteError(rec, APIFromPath(req.URL.Path), http.StatusMethodNotAllowed, KindInvalidRequest, "use POST")
	want := `{"type":"error","error":{"type":"invalid_request_error","message":"use POST"}}`
	if rec.Code != 405 || rec.Body.String() != want {
		t.Errorf("got %d %s, want 405 %s", rec.Code, rec.Body, want)
	}
}

func TestStreamError(t *testing.T) {
	for _, tc := range []struct {
		api       config.API
		jsonArray bool
		want      string
	}{
		{config.AnthropicMessages, false, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"m\"}}\n\n"},
		{config.OpenAIChat, false, "data: {\"error\":{\"message\":\"m\",\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}\n\n"},
		{config.OpenAIResponses, false, "event: error\ndata: {\"type\":\"error\",\"code\":\"insufficient_quota\",\"message\":\"m\",\"param\":null,\"error\":{\"message\":\"m\",\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}\n\n"},
		{config.GeminiGenerateContent, false, "data: {\"error\":{\"code\":429,\"message\":\"m\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n"},
		{config.GeminiGenerateContent, true, ",\r\n{\"error\":{\"code\":429,\"message\":\"m\",\"status\":\"RESOURCE_EXHAUSTED\"}}]"},
	} {
		if got := string(StreamError(tc.api, tc.jsonArray, KindQuotaExceeded, "m")); got != tc.want {
			t.Errorf("%s (array %v):\n got %q\nwant %q", tc.api, tc.jsonArray, got, tc.want)
		}
	}
}
