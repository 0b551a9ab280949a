// Package answers reads what went through the gateway the way hooks and
// pages need it, for all four provider APIs and whichever way the answer
// came: the last message the user wrote (UserMessage), a streamed answer
// rebuilt into the object the API returns unstreamed (Reassemble), the
// answer's events as JSON objects (RawResponses), and the tool calls the
// model made (ToolCalls).
//
// Inputs are the bytes the gateway relayed, as captured: a whole JSON
// answer, server-sent events, or Gemini's JSON array of chunks, possibly
// cut at the capture limit or where the connection dropped. Nothing here
// ever panics or fails: what cannot be read is left out, a cut stream
// gives what its complete events say, and a JSON answer cut in the middle
// gives nothing (encoding/json has no partial documents).
//
// The functions run off the request path (webhook workers, dashboard
// pages), so they use encoding/json with its exact semantics rather than
// the gateway's fast scanners. Each call parses the answer anew: tens of
// milliseconds for a 1 MiB capture, far less for the usual few kilobytes.
// ToolCalls answers at once, without parsing, for an answer that has none
// of its API's tool-call words.
package answers
