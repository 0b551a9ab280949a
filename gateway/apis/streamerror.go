package apis

import (
	"encoding/json"

	"github.com/tsplug/ts-plug/gateway/config"
)

// StreamError returns the bytes that end a stream the gateway must cut
// (its quota can no longer pay for it) in api's own streaming format, so
// the official SDKs raise it as an error instead of reading a truncated
// answer as complete:
//   - Anthropic: an "error" event with the error envelope, as the API
//     sends for an overloaded stream;
//   - OpenAI chat completions: a data chunk holding {"error": …}, which
//     the SDKs raise;
//   - OpenAI Responses: an "error" event; its data carries the Responses
//     fields (type, code, message, param) and the usual "error" member,
//     which is what the SDKs check;
//   - Gemini: a data chunk (SSE) or last array element (jsonArray) with
//     the google.rpc error.
//
// It must be written at an event boundary (after a complete event, or,
// for jsonArray, after a complete element: it then closes the array).
func StreamError(api config.API, jsonArray bool, kind ErrorKind, message string) []byte {
	body := ErrorBody(api, 0, kind, message)
	switch api {
	case config.AnthropicMessages:
		return sse("error", body)
	case config.OpenAIResponses:
		d := kind.lookup()
		ev, _ := json.Marshal(struct {
			Type    string          `json:"type"`
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Param   *string         `json:"param"`
			Error   json.RawMessage `json:"error"`
		}{"error", d.openaiCod, message, nil, json.RawMessage(body[len(`{"error":`) : len(body)-1])})
		return sse("error", ev)
	case config.GeminiGenerateContent:
		if jsonArray {
			return append(append([]byte(",\r\n"), body...), ']')
		}
	}
	return sse("", body)
}

func sse(event string, data []byte) []byte {
	var b []byte
	if event != "" {
		b = append(b, "event: "+event+"\n"...)
	}
	b = append(b, "data: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
