package apis

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/tsplug/ts-plug/gateway/config"
)

// ErrorKind classifies a gateway-made error independently of dialect.
// WriteError turns it into each API's own "type"/"code"/"status" strings so
// SDKs raise the error class their users already handle (rate-limit
// back-off on quota, permission errors on grants, and so on).
type ErrorKind string

// The error kinds the gateway produces. Each has a default HTTP status
// (ErrorKind.Status) used when WriteError is given status 0.
const (
	// KindPermissionDenied: the caller has no role, or a grant forbids it (403).
	KindPermissionDenied ErrorKind = "permission_denied"
	// KindModelNotFound: the model is not served, or not granted to this
	// caller; the two are deliberately indistinguishable (404).
	KindModelNotFound ErrorKind = "model_not_found"
	// KindNotFound: no such route or resource (404).
	KindNotFound ErrorKind = "not_found"
	// KindInvalidRequest: a malformed body, missing model, wrong method (400).
	KindInvalidRequest ErrorKind = "invalid_request"
	// KindRequestTooLarge: the body exceeds the gateway's limit (413).
	KindRequestTooLarge ErrorKind = "request_too_large"
	// KindQuotaExceeded: a dollar quota bucket is exhausted (429).
	KindQuotaExceeded ErrorKind = "quota_exceeded"
	// KindRateLimited: too many requests, independent of money (429).
	KindRateLimited ErrorKind = "rate_limited"
	// KindAuthentication: the caller could not be identified (401).
	KindAuthentication ErrorKind = "authentication"
	// KindGuardrailBlocked: a pre-request hook blocked the request; the
	// hook chooses the status (default 403).
	KindGuardrailBlocked ErrorKind = "guardrail_blocked"
	// KindUpstreamUnreachable: the provider could not be reached (502).
	KindUpstreamUnreachable ErrorKind = "upstream_unreachable"
	// KindUnavailable: the gateway cannot serve right now, e.g. it is
	// reloading or a fail_closed hook failed (503).
	KindUnavailable ErrorKind = "unavailable"
	// KindInternal: a gateway bug or storage failure (500).
	KindInternal ErrorKind = "internal"
)

// dialect holds one kind's strings in every envelope.
type dialect struct {
	status    int
	openai    string // OpenAI error.type
	openaiCod string // OpenAI error.code; "" encodes as null
	anthropic string // Anthropic error.type
	gemini    string // Gemini error.status (google.rpc.Code name)
}

// kinds maps each ErrorKind to its strings. OpenAI's types follow the API's
// own conventions (model_not_found is an invalid_request_error, quota is
// insufficient_quota in both type and code); Anthropic's are the documented
// error types; Gemini's are google.rpc status names.
var kinds = map[ErrorKind]dialect{
	KindPermissionDenied:    {http.StatusForbidden, "permission_error", "permission_denied", "permission_error", "PERMISSION_DENIED"},
	KindModelNotFound:       {http.StatusNotFound, "invalid_request_error", "model_not_found", "not_found_error", "NOT_FOUND"},
	KindNotFound:            {http.StatusNotFound, "invalid_request_error", "not_found", "not_found_error", "NOT_FOUND"},
	KindInvalidRequest:      {http.StatusBadRequest, "invalid_request_error", "", "invalid_request_error", "INVALID_ARGUMENT"},
	KindRequestTooLarge:     {http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "request_too_large", "INVALID_ARGUMENT"},
	KindQuotaExceeded:       {http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota", "rate_limit_error", "RESOURCE_EXHAUSTED"},
	KindRateLimited:         {http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error", "RESOURCE_EXHAUSTED"},
	KindAuthentication:      {http.StatusUnauthorized, "authentication_error", "invalid_api_key", "authentication_error", "UNAUTHENTICATED"},
	KindGuardrailBlocked:    {http.StatusForbidden, "guardrail_blocked", "", "invalid_request_error", "PERMISSION_DENIED"},
	KindUpstreamUnreachable: {http.StatusBadGateway, "server_error", "upstream_unreachable", "api_error", "UNAVAILABLE"},
	KindUnavailable:         {http.StatusServiceUnavailable, "server_error", "service_unavailable", "overloaded_error", "UNAVAILABLE"},
	KindInternal:            {http.StatusInternalServerError, "server_error", "", "api_error", "INTERNAL"},
}

// lookup returns the strings for k; unknown kinds are treated as internal
// errors so a typo never produces an empty envelope.
func (k ErrorKind) lookup() dialect {
	if d, ok := kinds[k]; ok {
		return d
	}
	return kinds[KindInternal]
}

// Status is the HTTP status WriteError uses for k when given status 0.
func (k ErrorKind) Status() int { return k.lookup().status }

// Envelope shapes, with fields in the order the providers send them.
type (
	openAIEnvelope struct {
		Error openAIError `json:"error"`
	}
	openAIError struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	anthropicEnvelope struct {
		Type  string         `json:"type"`
		Error anthropicError `json:"error"`
	}
	anthropicError struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	geminiEnvelope struct {
		Error geminiError `json:"error"`
	}
	geminiError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	}
	gatewayEnvelope struct {
		Error gatewayError `json:"error"`
	}
	gatewayError struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	}
)

// ErrorBody returns the JSON error envelope for api (without a trailing
// newline). api "" selects the gateway's plain envelope
// {"error":{"message","type"}}, whose type is the kind itself. status 0
// means kind's default; Gemini repeats the status in its "code".
func ErrorBody(api config.API, status int, kind ErrorKind, message string) []byte {
	d := kind.lookup()
	if status == 0 {
		status = d.status
	}
	var v any
	switch api {
	case config.OpenAIChat, config.OpenAIResponses:
		e := openAIError{Message: message, Type: d.openai}
		if d.openaiCod != "" {
			e.Code = &d.openaiCod
		}
		v = openAIEnvelope{e}
	case config.AnthropicMessages:
		v = anthropicEnvelope{Type: "error", Error: anthropicError{Type: d.anthropic, Message: message}}
	case config.GeminiGenerateContent:
		v = geminiEnvelope{geminiError{Code: status, Message: message, Status: d.gemini}}
	default:
		v = gatewayEnvelope{gatewayError{Message: message, Type: string(kind)}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only strings and ints are encoded, which cannot fail.
		return []byte(`{"error":{"message":"internal error","type":"internal"}}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// WriteError answers the request with kind's envelope in the caller's API
// dialect (see ErrorBody) and the given status (0 = kind's default). It sets
// Content-Type and Content-Length and leaves other headers, such as a
// quota's Retry-After, to the caller, who must set them first.
func WriteError(w http.ResponseWriter, api config.API, status int, kind ErrorKind, message string) {
	if status == 0 {
		status = kind.Status()
	}
	body := ErrorBody(api, status, kind, message)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client hung up; nothing left to tell it
}
