// Package hooks calls the HTTP endpoints an admin wires to requests:
// guardrails, which run before the provider is called and may allow,
// block or modify a request, and webhooks, which are told about each
// answer after it has ended.
//
// A guardrail is synchronous and on the request's path, so its failures
// follow its fail policy: fail_open treats an unreachable, slow, non-2xx
// or unreadable guardrail as "allow", fail_closed refuses the request.
// Webhooks are never on the path: they are queued (a bounded queue; when
// it is full a notification is dropped and counted, never waited for),
// sent by a few workers, and their failures are logged and counted.
//
// The package knows the hook protocol (gateway.md §2.10), not the
// gateway's request path: the gateway builds each payload.
package hooks
