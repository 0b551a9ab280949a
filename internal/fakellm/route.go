package fakellm

import (
	"net/http"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// kind is what an endpoint does.
type kind int

const (
	kindUnknown kind = iota
	kindGenerate
	kindCountTokens
	kindModels
	kindGetResponse
	kindDeleteResponse
)

// route is where a request goes: the API and endpoint, plus what the path
// itself says (Gemini's model and streaming, a response ID).
type route struct {
	api    config.API
	kind   kind
	model  string // Gemini: from the path
	stream bool   // Gemini: :streamGenerateContent
	sse    bool   // Gemini: alt=sse
	id     string // Responses: the response ID
}

// routeOf maps a request to its endpoint. Paths are the providers' own;
// anything else is kindUnknown (answered 404, as a real provider does for
// a doubled "/v1/v1/..." path).
func routeOf(r *http.Request) route {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/v1/chat/completions":
		return route{api: config.OpenAIChat, kind: kindGenerate}
	case r.Method == http.MethodPost && p == "/v1/responses":
		return route{api: config.OpenAIResponses, kind: kindGenerate}
	case strings.HasPrefix(p, "/v1/responses/") && !strings.Contains(p[len("/v1/responses/"):], "/"):
		id := p[len("/v1/responses/"):]
		switch r.Method {
		case http.MethodGet:
			return route{api: config.OpenAIResponses, kind: kindGetResponse, id: id}
		case http.MethodDelete:
			return route{api: config.OpenAIResponses, kind: kindDeleteResponse, id: id}
		}
	case r.Method == http.MethodPost && p == "/v1/messages":
		return route{api: config.AnthropicMessages, kind: kindGenerate}
	case r.Method == http.MethodPost && p == "/v1/messages/count_tokens":
		return route{api: config.AnthropicMessages, kind: kindCountTokens}
	case r.Method == http.MethodGet && p == "/v1/models":
		if r.Header.Get("anthropic-version") != "" {
			return route{api: config.AnthropicMessages, kind: kindModels}
		}
		return route{api: config.OpenAIChat, kind: kindModels}
	case r.Method == http.MethodPost && (strings.HasPrefix(p, "/v1beta/models/") || strings.HasPrefix(p, "/v1/models/")):
		rest := p[strings.Index(p, "/models/")+len("/models/"):]
		model, method, ok := strings.Cut(rest, ":")
		if !ok || model == "" || strings.Contains(model, "/") {
			break
		}
		switch method {
		case "generateContent":
			return route{api: config.GeminiGenerateContent, kind: kindGenerate, model: model}
		case "streamGenerateContent":
			return route{api: config.GeminiGenerateContent, kind: kindGenerate, model: model, stream: true,
				sse: r.URL.Query().Get("alt") == "sse"}
		}
	}
	return route{}
}

// needsBody reports whether the endpoint takes a JSON body.
func (rt route) needsBody() bool { return rt.kind == kindGenerate || rt.kind == kindCountTokens }

// call is the call a body makes on this route.
func (rt route) call(body any) call {
	if !rt.needsBody() {
		return call{}
	}
	c := parseCall(rt.api, body)
	if rt.api == config.GeminiGenerateContent {
		c.model, c.stream = rt.model, rt.stream
	}
	return c
}

// guessAPI picks the error envelope for a request that matched no route.
func guessAPI(r *http.Request) config.API {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1beta/"):
		return config.GeminiGenerateContent
	case r.Header.Get("anthropic-version") != "" || r.Header.Get("x-api-key") != "":
		return config.AnthropicMessages
	}
	return config.OpenAIChat
}
