package fakellm

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// apiError is one error answer before it is put in an API's envelope.
type apiError struct {
	status  int
	message string
	kind    string // provider error type; "" picks the default for status
	// retryAfter, if set, is announced in Retry-After headers.
	retryAfter time.Duration
}

// defaultMessage is the message of an injected error with none given.
func defaultMessage(status int) string {
	if t := http.StatusText(status); t != "" {
		return "fakellm: injected error: " + strings.ToLower(t)
	}
	return "fakellm: injected error"
}

// openAIType is the error "type" and "code" OpenAI uses for a status.
func openAIType(status int) (typ, code string) {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_request_error", "invalid_api_key"
	case status == http.StatusNotFound:
		return "invalid_request_error", ""
	case status == http.StatusTooManyRequests:
		return "requests", "rate_limit_exceeded"
	case status >= 500:
		return "server_error", ""
	}
	return "invalid_request_error", ""
}

// anthropicType is the Anthropic error type for a status.
func anthropicType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusPaymentRequired:
		return "billing_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// geminiStatus is the google.rpc status name Gemini uses for an HTTP status.
func geminiStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if status >= 500 {
		return "INTERNAL"
	}
	return "FAILED_PRECONDITION"
}

// envelope is the error body of api for e:
//
//	OpenAI:    {"error":{"message","type","param","code"}}
//	Anthropic: {"type":"error","error":{"type","message"},"request_id"}
//	Gemini:    {"error":{"code","message","status"}}
func envelope(api config.API, e apiError, requestID string) obj {
	switch api {
	case config.AnthropicMessages:
		return obj{
			{"type", "error"},
			{"error", obj{{"type", orDefault(e.kind, anthropicType(e.status))}, {"message", e.message}}},
			{"request_id", requestID},
		}
	case config.GeminiGenerateContent:
		return obj{{"error", obj{
			{"code", e.status},
			{"message", e.message},
			{"status", orDefault(e.kind, geminiStatus(e.status))},
		}}}
	}
	typ, code := openAIType(e.status)
	var codeVal any
	if code != "" {
		codeVal = code
	}
	if e.kind != "" {
		typ = e.kind
	}
	return obj{{"error", obj{
		{"message", e.message},
		{"type", typ},
		{"param", nil},
		{"code", codeVal},
	}}}
}

// unauthorized is the 401 answer to a request without the required key.
func unauthorized(api config.API, missing bool) apiError {
	e := apiError{status: http.StatusUnauthorized}
	switch api {
	case config.AnthropicMessages:
		e.message = "invalid x-api-key"
	case config.GeminiGenerateContent:
		e.message = "API key not valid. Please pass a valid API key."
	default:
		if missing {
			e.message = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
		} else {
			e.message = "Incorrect API key provided."
		}
	}
	return e
}

// setRetryAfter announces d in the Retry-After (seconds, rounded up) and
// retry-after-ms headers.
func setRetryAfter(h http.Header, d time.Duration) {
	if d <= 0 {
		return
	}
	h.Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	h.Set("retry-after-ms", strconv.FormatInt(max(1, d.Milliseconds()), 10))
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
