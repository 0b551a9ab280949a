// Package apis is the gateway's per-API "dialect" layer: everything that
// depends on which provider wire format a caller speaks, without ever
// translating one format into another.
//
// It answers four questions for the request pipeline:
//
//   - which API and operation a request path names (Detect, APIFromPath),
//     including the model for Gemini, whose model lives in the path;
//   - which model and stream flag a JSON body carries (ScanBody,
//     ModelFromBody, StreamFromBody), found in one allocation-free pass so
//     large agent requests are not decoded twice;
//   - how to tell the caller "no" in its own API's error envelope
//     (WriteError, ErrorBody), so SDKs raise their usual typed errors;
//   - which headers may travel upstream and back (SanitizeRequestHeaders,
//     InjectKey, AddHeaders, StripKeyQuery, SanitizeResponseHeaders) and how
//     to log them without secrets (RedactHeaders).
package apis
