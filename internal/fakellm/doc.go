// Package fakellm is a fake LLM provider: one HTTP server that speaks the
// real wire formats of the OpenAI Chat Completions and Responses APIs, the
// Anthropic Messages API and the Gemini generateContent API, streamed (SSE)
// and not, with real usage fields. The official Go SDKs of all three
// providers parse its answers (see the sdk_*_test.go files).
//
// End-to-end tests, benchmarks and `make demo` put it behind the gateway as
// the upstream provider, so nothing ever calls a real provider. Methods on
// Server steer it while it runs — the usage to report, injected errors and
// dropped connections, latency and pacing, huge generated answers, a
// required API key — and it records every request it received, so tests
// can check what reached the provider (which key, which body). It does not
// depend on package testing.
//
// Endpoints (the providers' own paths; mount Handler under a prefix with
// http.StripPrefix if needed):
//
//	POST   /v1/chat/completions                          OpenAI chat
//	POST   /v1/responses, GET|DELETE /v1/responses/{id}  OpenAI responses
//	POST   /v1/messages, /v1/messages/count_tokens       Anthropic
//	POST   /v1beta/models/{model}:generateContent        Gemini (also /v1/models/...)
//	POST   /v1beta/models/{model}:streamGenerateContent  ?alt=sse for SSE, else a JSON array
//	GET    /v1/models                                    OpenAI list; Anthropic's with anthropic-version
//
// The answer uses the request's model. Its text is X when the last user
// message says "respond with: X", else the reply set with SetReply
// (DefaultReply), or generated filler of SetBodySize bytes.
package fakellm
