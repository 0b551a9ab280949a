package config

// API names one provider wire format. The values are the keys of a
// provider's "compatibility" map in the config, so a provider serves an API
// exactly when its compatibility flag for it is true.
type API string

// The provider APIs the gateway forwards. Each is passed through unchanged:
// the gateway never translates one API into another.
const (
	OpenAIChat            API = "openai_chat"             // POST /v1/chat/completions
	OpenAIResponses       API = "openai_responses"        // POST /v1/responses
	AnthropicMessages     API = "anthropic_messages"      // POST /v1/messages
	GeminiGenerateContent API = "gemini_generate_content" // POST /v1beta/models/{m}:generateContent
)

// APIs lists every API the gateway knows, in a stable order.
var APIs = []API{OpenAIChat, OpenAIResponses, AnthropicMessages, GeminiGenerateContent}
