package answers

import (
	"encoding/json"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Reassemble returns the answer as the object the API returns when not
// streaming: a non-streamed answer (any one JSON object, errors too) as
// it is, and a stream rebuilt from its events into that object by the
// api's rules (see the reassemble_*.go files). A stream cut before its
// end gives what its complete events say; a stream none of whose events
// is of the api's kind (an error the provider sent as an event) gives its
// last event as is. The result is nil when nothing is readable: an empty
// body, a JSON answer cut at the capture limit, a stream with no complete
// event, or a stream of an api this package does not know.
func Reassemble(api config.API, answer []byte) json.RawMessage {
	objs, whole := splitAnswer(answer)
	if len(objs) == 0 {
		return nil
	}
	if whole {
		return objs[0]
	}
	return reassembleEvents(api, objs)
}

// reassembleEvents rebuilds a streamed answer from its events.
func reassembleEvents(api config.API, events []json.RawMessage) json.RawMessage {
	var out json.RawMessage
	switch api {
	default:
		return nil
	case config.OpenAIChat:
		out = reassembleChat(events)
	case config.OpenAIResponses:
		out = reassembleResponses(events)
	case config.AnthropicMessages:
		out = reassembleAnthropic(events)
	case config.GeminiGenerateContent:
		out = reassembleGemini(events)
	}
	if out == nil {
		return events[len(events)-1]
	}
	return out
}
