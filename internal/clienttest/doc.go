// Package clienttest drives the real Claude Code, Codex, Gemini CLI and
// OpenCode command-line clients, installed from npm into this directory, through ts-unplug and
// the aperture gateway on an offline tailnet, with internal/fakellm as the
// upstream provider. It checks what a user of those tools would see (the
// answer, the usage, a clean exit) and what the gateway must do for them:
// forward each request unchanged (path, query, body bytes, headers) except
// for replacing the client's placeholder token with the provider key, and
// meter each request in the ledger under the client's own session ID. A
// transparent loopback hop in front of ts-unplug records what the CLIs
// sent, for that comparison.
//
// Setup: `npm ci` in this directory (.ci/run does it; OpenCode only on
// Linux x64, see cliPaths). Without the CLIs the test skips, except under
// CI=true, where it fails. The CLIs run with a temporary HOME (and
// CODEX_HOME, XDG dirs), no login and no network beyond loopback,
// configured as the clients spec (clients.md, "Observed offline")
// describes.
//
// Gemini CLI (GOOGLE_GEMINI_BASE_URL, auth type gemini-api-key in its
// settings.json) accepts a plain http:// loopback address. It sends its
// session ID nowhere on the wire, so the gateway meters it under its
// conversation fingerprint. OpenCode uses the @ai-sdk/openai-compatible
// provider built into its binary, so nothing is fetched from npm at run
// time (with --pure, which also skips its default plugins), and it sends
// its session ID in x-session-id.
package clienttest
