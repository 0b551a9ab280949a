package apis

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Op names what a request asks of an API. Most traffic is OpCreate; the
// other operations exist because real clients send them (Claude Code counts
// tokens, Codex compacts and fetches stored responses) and the gateway must
// forward them to the same provider rather than answer 404.
type Op string

// The operations Detect recognises.
const (
	// OpCreate generates: chat completion, response, message or
	// generateContent / streamGenerateContent.
	OpCreate Op = "create"
	// OpCountTokens counts input tokens without generating
	// (/v1/messages/count_tokens, /v1/responses/input_tokens, Gemini
	// :countTokens). It costs nothing upstream but still needs a grant.
	OpCountTokens Op = "count_tokens"
	// OpCompact is the Responses API's POST /v1/responses/compact, which
	// Codex uses to shrink a long conversation; the model is in the body.
	OpCompact Op = "compact"
	// OpGetResponse is GET /v1/responses/{id}: fetch a stored response.
	OpGetResponse Op = "get_response"
	// OpDeleteResponse is DELETE /v1/responses/{id}.
	OpDeleteResponse Op = "delete_response"
	// OpCancelResponse is POST /v1/responses/{id}/cancel (background mode).
	OpCancelResponse Op = "cancel_response"
	// OpListInputItems is GET /v1/responses/{id}/input_items.
	OpListInputItems Op = "list_input_items"
)

// Route is what Detect learned from a request's method and path.
type Route struct {
	// API is the wire format the caller speaks.
	API config.API
	// Op is the operation within that API.
	Op Op
	// Stream is true when the path or query alone says the answer streams:
	// Gemini's :streamGenerateContent, or a Responses GET with stream=true.
	// For other APIs streaming is decided by the body (StreamFromBody).
	Stream bool
	// Model is the model named in the path (Gemini only), exactly as sent;
	// it may contain "/" when a client uses a provider/model FQN.
	Model string
	// ResponseID is the {id} of the Responses API's per-response
	// operations, decoded; Detect accepts only IDs ValidResponseID allows.
	ResponseID string
	// Path is the request path decoded exactly once and checked, as
	// DetectURL authorized it (Detect leaves it empty). The URL sent
	// upstream must be built from it and nothing else, so the provider
	// reads the same path, model and response ID the gateway routed.
	Path string
}

// ModelInBody reports whether this route's model must be read from the JSON
// body (OpenAI and Anthropic generate/count/compact calls). Gemini carries
// the model in the path, and the per-response Responses operations carry
// none at all, so the gateway must route those some other way.
func (r Route) ModelInBody() bool {
	if r.API == config.GeminiGenerateContent {
		return false
	}
	switch r.Op {
	case OpCreate, OpCountTokens, OpCompact:
		return true
	}
	return false
}

// geminiVersions are the version segments accepted before /models/ on the
// Gemini surface. The bare "/models/..." form serves clients whose base URL
// already ends in a version.
var geminiVersions = []string{"/v1beta", "/v1", "/v1alpha", ""}

// geminiMethods maps the ":method" suffix of a Gemini path to its operation
// and whether it streams.
var geminiMethods = map[string]struct {
	op     Op
	stream bool
}{
	"generateContent":       {OpCreate, false},
	"streamGenerateContent": {OpCreate, true},
	"countTokens":           {OpCountTokens, false},
}

// Detect classifies a provider request by method and decoded path
// (r.URL.Path, no query: the query's stream hint is read by DetectURL).
// Paths are matched with and without the leading /v1 for the OpenAI and
// Anthropic APIs, because clients whose upstream uses another version
// segment send versionless paths. GET /v1/models is the gateway's own
// endpoint, not a provider route, and is not detected. The boolean is
// false for anything that is not a provider route, and for a decoded path
// no client sends (a control character, "%", "\\", ";", "?", "#", a . or ..
// segment, an empty segment, a malformed response ID): such a path can
// only come from escapes (a "?" in r.URL.Path was %3F), and a server
// further on may read it differently. DetectURL, which sees the path as
// it arrived, also refuses what decoding hides (%2F) and says why.
func Detect(method, path string) (Route, bool) {
	if !plainDecodedPath(path) {
		return Route{}, false
	}
	rt, ok, reason := detect(method, path, "")
	return rt, ok && reason == ""
}

// detect classifies a decoded path without its query. A non-empty reason
// means the path has a provider route's shape but must be refused (400).
func detect(method, path, rawQuery string) (Route, bool, string) {
	if rt, ok, reason := detectVersioned(method, path, rawQuery); ok || reason != "" {
		return rt, ok, reason
	}
	rt, ok := detectGemini(method, path)
	return rt, ok, ""
}

// plainDecodedPath reports whether a decoded path is one DecodePath could
// have produced: printable ASCII without "%", "\", ";" or "#", no . or ..
// segment, no empty segment but the last.
func plainDecodedPath(path string) bool {
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= 0x20 || c >= 0x7f || strings.IndexByte("%\\;?#", c) >= 0 {
			return false
		}
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if seg == "." || seg == ".." || (seg == "" && i > 0 && i < len(segs)-1) {
			return false
		}
	}
	return true
}

// detectVersioned matches the OpenAI and Anthropic paths, which come with
// or without a /v1 prefix.
func detectVersioned(method, path, rawQuery string) (Route, bool, string) {
	rest := strings.TrimPrefix(path, "/v1")
	if !strings.HasPrefix(rest, "/") {
		return Route{}, false, ""
	}
	var rt Route
	var ok bool
	switch rest {
	case "/chat/completions":
		rt, ok = post(method, Route{API: config.OpenAIChat, Op: OpCreate})
	case "/messages":
		rt, ok = post(method, Route{API: config.AnthropicMessages, Op: OpCreate})
	case "/messages/count_tokens":
		rt, ok = post(method, Route{API: config.AnthropicMessages, Op: OpCountTokens})
	case "/responses":
		rt, ok = post(method, Route{API: config.OpenAIResponses, Op: OpCreate})
	default:
		tail, isResp := strings.CutPrefix(rest, "/responses/")
		if !isResp {
			return Route{}, false, ""
		}
		return detectResponseOp(method, tail, rawQuery)
	}
	return rt, ok, ""
}

// detectResponseOp matches /v1/responses/{tail}. An operation on an ID
// that ValidResponseID refuses is refused with a reason: ownership is
// checked on the ID, so it must have one spelling only.
func detectResponseOp(method, tail, rawQuery string) (Route, bool, string) {
	rt := Route{API: config.OpenAIResponses}
	// compact and input_tokens take a model in the body; they shadow
	// response IDs only for POST, which has no per-ID meaning without a
	// suffix.
	switch tail {
	case "compact":
		rt.Op = OpCompact
		rt, ok := post(method, rt)
		return rt, ok, ""
	case "input_tokens":
		rt.Op = OpCountTokens
		rt, ok := post(method, rt)
		return rt, ok, ""
	}
	id, suffix, _ := strings.Cut(tail, "/")
	if id == "" {
		return Route{}, false, ""
	}
	rt.ResponseID = id
	switch {
	case suffix == "" && method == http.MethodGet:
		rt.Op = OpGetResponse
		rt.Stream = queryStream(rawQuery)
	case suffix == "" && method == http.MethodDelete:
		rt.Op = OpDeleteResponse
	case suffix == "cancel" && method == http.MethodPost:
		rt.Op = OpCancelResponse
	case suffix == "input_items" && method == http.MethodGet:
		rt.Op = OpListInputItems
	default:
		return Route{}, false, ""
	}
	if !ValidResponseID(id) {
		return Route{}, false, "a response ID is letters, digits, _ and - only"
	}
	return rt, true, ""
}

// detectGemini matches /{version}/models/{model}:{method}.
func detectGemini(method, path string) (Route, bool) {
	if method != http.MethodPost {
		return Route{}, false
	}
	for _, v := range geminiVersions {
		rest, ok := strings.CutPrefix(path, v+"/models/")
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, ':')
		if i <= 0 {
			return Route{}, false
		}
		model, verb := rest[:i], rest[i+1:]
		m, ok := geminiMethods[verb]
		if !ok || strings.HasPrefix(model, "/") || strings.HasSuffix(model, "/") || strings.Contains(model, "//") {
			return Route{}, false
		}
		return Route{API: config.GeminiGenerateContent, Op: m.op, Stream: m.stream, Model: model}, true
	}
	return Route{}, false
}

// post accepts rt only for POST requests.
func post(method string, rt Route) (Route, bool) {
	if method != http.MethodPost {
		return Route{}, false
	}
	return rt, true
}

// queryStream reports whether a raw query says stream=true.
func queryStream(rawQuery string) bool {
	if rawQuery == "" {
		return false
	}
	// ParseQuery keeps the pairs it could parse; the forwarded query is
	// parsed the same way (r.URL.Query), so a bad pair elsewhere does not
	// hide stream=true from the gateway while the provider sees it.
	q, _ := url.ParseQuery(rawQuery)
	return q.Get("stream") == "true"
}

// APIFromPath guesses the API of any path, even one Detect rejects (wrong
// method, unknown Gemini verb, malformed ID), so that errors raised before
// or instead of routing still reach the client in its own dialect. It
// returns "" for paths that belong to no provider API (the gateway's own
// /v1/models, /api/..., /ui/...), which WriteError answers in the plain
// gateway envelope.
func APIFromPath(path string) config.API {
	path, _, _ = strings.Cut(path, "?")
	if rt, ok := Detect(http.MethodPost, path); ok {
		return rt.API
	}
	rest := strings.TrimPrefix(path, "/v1")
	switch {
	case hasSegmentPrefix(rest, "/chat/completions"):
		return config.OpenAIChat
	case hasSegmentPrefix(rest, "/responses"):
		return config.OpenAIResponses
	case hasSegmentPrefix(rest, "/messages"):
		return config.AnthropicMessages
	case hasSegmentPrefix(path, "/v1beta"), hasSegmentPrefix(path, "/v1alpha"),
		strings.HasPrefix(path, "/models/"), strings.HasPrefix(path, "/v1/models/") && strings.Contains(path, ":"):
		return config.GeminiGenerateContent
	}
	return ""
}

// hasSegmentPrefix reports whether path is prefix or starts with prefix+"/".
func hasSegmentPrefix(path, prefix string) bool {
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && (rest == "" || rest[0] == '/')
}
