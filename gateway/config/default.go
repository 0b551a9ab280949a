package config

import "strings"

// AdminGrantExample is a config grant making LOGIN an admin, as the
// default config's comments and AdminHowTo show it.
const AdminGrantExample = `{"src": ["LOGIN"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}}`

// AdminHowTo tells whoever meets an admin-only page or endpoint how a
// gateway gets admins: nobody is one until the operator says so.
const AdminHowTo = "To make LOGIN an admin, start aperture with --admin LOGIN " +
	"(repeatable; `aperture install --admin LOGIN` keeps it in the service), " +
	"or add this grant to the config's \"grants\": " + AdminGrantExample + ". " +
	"Callers of the local --listen port are admins only with --local-admin " +
	"or a grant for \"(loopback)\"."

// localAdminHowTo is AdminHowTo for a caller of the local port, whom
// --admin cannot name.
const localAdminHowTo = "Callers of the local --listen port are admins only when " +
	"aperture runs with --local-admin, or with this grant in the config's \"grants\": " +
	`{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}]}}` + ". " +
	"Do that only if nobody but this machine's users reaches the port (no tailscale serve, nginx or ts-plug in front)."

// AdminHowToFor is AdminHowTo with the caller's own principal for LOGIN,
// so the snippet can be pasted as is.
func AdminHowToFor(principal string) string {
	switch principal {
	case "":
		return AdminHowTo
	case "(loopback)":
		return localAdminHowTo
	}
	return strings.ReplaceAll(AdminHowTo, "LOGIN", principal)
}

// PlaceholderAdmin is the login the default config's admin grant names
// until the operator puts theirs there (Aperture's own default does the
// same): example.com is reserved, so it is nobody's login.
const PlaceholderAdmin = "example-user@example.com"

// DefaultConfigText is the configuration a new gateway instance starts
// with. It is HuJSON with comments explaining each part, so an admin who
// opens the settings page learns the format from it. It gives every
// caller the user role and every model, and the admin role only to
// PlaceholderAdmin: the operator names admins with --admin (or in that
// grant), so a fresh gateway does not hand every tailnet member the
// provider keys. It declares
// OpenAI, Anthropic and Gemini providers whose keys come from the
// OPENAI_API_KEY, ANTHROPIC_API_KEY and GEMINI_API_KEY environment
// variables, serving the models Claude Code, Codex and Gemini CLI pick by
// default.
const DefaultConfigText = `// Gateway configuration (HuJSON: JSON with comments and trailing commas).
{
  // Grants decide who may do what. Access is denied by default and grants
  // only ever add to it: every grant whose "src" matches the caller applies.
  // "src" entries: "*" (everyone: users, tagged devices and callers of the
  // local --listen port), a login name
  // such as "alice@example.com", "tag:ci", a comma-joined tag set such as
  // "tag:api,tag:prod", or "(loopback)" for the local --listen port.
  "grants": [
    // Admins may edit this configuration (provider keys included) and see
    // everyone's usage and captured requests. Nobody is one yet:
    // "example-user@example.com" is a placeholder. Replace it with your
    // login, or start aperture with --admin YOUR-LOGIN (repeatable;
    // "aperture install --admin YOUR-LOGIN" keeps it in the service).
    // Callers of the local --listen port ("(loopback)") are admins only
    // with --local-admin or a grant naming "(loopback)": behind a local
    // proxy (tailscale serve, nginx) anyone may arrive there.
    {
      "src": ["example-user@example.com"],
      "app": { "tailscale.com/cap/aperture": [ { "role": "admin" } ] },
    },
    // Everyone on the tailnet gets the user role: they may send requests
    // and see their own usage. Removing this grant denies everything to
    // non-admins.
    {
      "src": ["*"],
      "app": { "tailscale.com/cap/aperture": [ { "role": "user" } ] },
    },
    // Which models callers may use, as "provider/model" globs: "*" matches
    // within one segment, "**" any number of segments. "**" is every model;
    // "anthropic/**" would be every Anthropic model.
    {
      "src": ["*"],
      "app": { "tailscale.com/cap/aperture": [ { "models": "**" } ] },
    },
    // Spending limits: define a bucket under "quotas" below and charge it
    // from a grant, for example:
    //   { "src": ["*"], "app": { "tailscale.com/cap/aperture": [
    //       { "quotas": [ { "bucket": "daily:<user>" } ] } ] } },
  ],

  // Providers are the upstream LLM APIs. The provider ID (the key) is the
  // first segment of a model's full name, e.g. "anthropic/claude-sonnet-4-5".
  // Clients send the bare model ID; the gateway finds the provider listing it.
  // "apikey" may be the key itself, "env:NAME" to read an environment
  // variable, or "file:PATH" to read a file. A service gets env: variables
  // from <state-dir>/aperture.env, which "aperture install" writes from its
  // own environment and --env NAME=VALUE. A provider without its key is
  // not used: its requests are answered 503 naming the missing key (and
  // /healthz lists it); delete or disable the providers you have no key for.
  // The model lists cover what Claude Code, Codex and Gemini CLI pick by
  // default; add the IDs your clients use. A model missing from the built-in
  // price table costs what its provider's "pricing" says (or is unpriced).
  "providers": {
    "openai": {
      "name": "OpenAI",
      "baseurl": "https://api.openai.com",
      "apikey": "env:OPENAI_API_KEY",
      "authorization": "bearer",
      "models": [
        // Codex's default, and the others its model picker offers.
        "gpt-6.1-sol",
        "gpt-6-astra",
        "gpt-6-sol",
        "gpt-6-luna",
        "gpt-5.5",
        "gpt-5-codex",
        "gpt-5.1-codex",
        "gpt-5.1-codex-max",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-4.1",
        "gpt-4.1-nano",
      ],
      // Which client-facing APIs this provider speaks. Requests are passed
      // through unchanged, never translated between formats.
      "compatibility": {
        "openai_chat": true,
        "openai_responses": true,
      },
    },
    "anthropic": {
      "name": "Anthropic",
      "baseurl": "https://api.anthropic.com",
      "apikey": "env:ANTHROPIC_API_KEY",
      "authorization": "x-api-key",
      "models": [
        // Claude Code's default (opus) and its sonnet and haiku models.
        "claude-opus-5-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        // The ones its gateway login picks, and earlier defaults.
        "claude-opus-4-7",
        "claude-sonnet-4-6",
        "claude-haiku-4-5",
        "claude-haiku-4-5-20251001",
        "claude-opus-5",
        "claude-sonnet-5",
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "claude-opus-4-5",
        "claude-opus-4-5-20251101",
      ],
      "compatibility": {
        "anthropic_messages": true,
      },
    },
    "gemini": {
      "name": "Google Gemini",
      "baseurl": "https://generativelanguage.googleapis.com",
      "apikey": "env:GEMINI_API_KEY",
      "authorization": "x-goog-api-key",
      "models": [
        // Gemini CLI's defaults (pro, flash, and flash-lite for its own
        // small calls) and its preview models.
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
      ],
      "compatibility": {
        "gemini_generate_content": true,
      },
    },
  },

  // Dollar budgets, refilled continuously. "<user>" in a name makes one
  // bucket per caller, "<node>" one per device. Unused until a grant
  // references the bucket.
  "quotas": {
    "daily:<user>": { "capacity": "$10.00", "rate": "$10.00/day", "on_exceed": "reject" },
  },

  // Webhooks and guardrails, wired to requests by a grant's "send_hooks".
  // Example:
  //   "hooks": { "audit": { "url": "https://audit.example.com/hook", "apikey": "env:AUDIT_KEY" } },
  "hooks": {},

  // Captures (each request's headers, with credentials redacted, and its
  // request and response bodies: the prompts and answers) are purged after
  // "duration": "30d" is the default, "0" keeps none, "" keeps them
  // forever. Metric rows (who, model, tokens, cost) are never purged.
  "database": { "retention": { "duration": "30d" } },
}
`
