package ui

import (
	"net/http"
	"strings"
)

// connectBody is the Connect page: setup for common clients, filled in
// with this gateway's real base URL and models the viewer may use.
type connectBody struct {
	BaseURL  string
	Local    bool // reached on localhost (through ts-unplug or --listen)
	NoModels bool
	Snippets []snippet
}

// snippet is one ready-to-copy setup.
type snippet struct {
	ID, Title, Note, Code string
	Missing               string // why it may not work for this viewer, if so
}

// connect renders the setup snippets.
func (h *Handler) connect(w http.ResponseWriter, r *http.Request, v Viewer) error {
	base := baseURL(r)
	b := connectBody{BaseURL: base, NoModels: len(v.Models) == 0}
	b.Local = isLocal(base)
	b.Snippets = snippets(base, v.Models)
	return h.render(w, http.StatusOK, "connect", pageData{Title: "Connect", Nav: "connect", Viewer: v, Body: b})
}

// isLocal reports whether base is on this machine's loopback (ts-unplug
// or the --listen port).
func isLocal(base string) bool {
	host := strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
	return strings.HasPrefix(host, "localhost") || strings.HasPrefix(host, "127.") || strings.HasPrefix(host, "[::1]")
}

// geminiNote is what Gemini CLI users need to know about base: it must
// use API-key auth (GOOGLE_GEMINI_BASE_URL alone makes it pick an auth
// type its own check rejects), and some versions refuse plain http://
// other than localhost.
func geminiNote(base string) string {
	n := "Select API-key auth: in ~/.gemini/settings.json set security.auth.selectedType to \"gemini-api-key\" " +
		"(without it, gemini -p stops with \"Invalid auth method selected\"). The key is a placeholder."
	switch {
	case isLocal(base):
		return n + " A plain http:// address on localhost is fine (tested with Gemini CLI 0.61)."
	case strings.HasPrefix(base, "http://"):
		return n + " Some Gemini CLI versions refuse a plain http:// address unless it is localhost; " +
			"if yours does, go through ts-unplug and use its http://localhost address."
	}
	return n
}

// modelFor picks the first model speaking api, or a placeholder.
func modelFor(models []Model, api string) (string, bool) {
	for _, m := range models {
		for _, a := range m.APIs {
			if a == api {
				return m.ID, true
			}
		}
	}
	return "MODEL", false
}

// snippets builds the setup for each client against base.
func snippets(base string, models []Model) []snippet {
	anth, okA := modelFor(models, "anthropic_messages")
	chat, okC := modelFor(models, "openai_chat")
	resp, okR := modelFor(models, "openai_responses")
	gem, okG := modelFor(models, "gemini_generate_content")
	missing := func(ok bool, api string) string {
		if ok {
			return ""
		}
		return "None of your models speaks " + api + "; ask an admin for one, or replace MODEL."
	}
	r := strings.NewReplacer("{base}", base, "{anth}", anth, "{chat}", chat, "{resp}", resp, "{gem}", gem)
	return []snippet{
		{ID: "claude-code", Title: "Claude Code", Missing: missing(okA, "the Anthropic Messages API"),
			Note: "The gateway holds the provider key, so the token is a placeholder.",
			Code: r.Replace("export ANTHROPIC_BASE_URL={base}\nexport ANTHROPIC_AUTH_TOKEN=-\nclaude --model {anth}")},
		{ID: "codex", Title: "Codex", Missing: missing(okR, "the OpenAI Responses API"),
			Note: "Add to ~/.codex/config.toml, then run codex with the placeholder key set.",
			Code: r.Replace("model = \"{resp}\"\nmodel_provider = \"aperture\"\n\n[model_providers.aperture]\nname = \"Aperture\"\n" +
				"base_url = \"{base}/v1\"\nwire_api = \"responses\"\nenv_key = \"APERTURE_API_KEY\"\nsupports_websockets = false\n\n" +
				"# then, in your shell:\n# export APERTURE_API_KEY=-\n# codex")},
		{ID: "gemini-cli", Title: "Gemini CLI", Missing: missing(okG, "the Gemini API"),
			Note: geminiNote(base),
			Code: r.Replace("export GOOGLE_GEMINI_BASE_URL={base}\nexport GEMINI_API_KEY=-\ngemini --model {gem}")},
		{ID: "opencode", Title: "OpenCode", Missing: missing(okC, "the OpenAI Chat Completions API"),
			Note: "Save as ~/.config/opencode/opencode.json (or opencode.json in your project), then run opencode. " +
				"The provider package is built into OpenCode; add more of your models under \"models\".",
			Code: r.Replace("{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"provider\": {\n    \"aperture\": {\n" +
				"      \"npm\": \"@ai-sdk/openai-compatible\",\n      \"name\": \"Aperture\",\n" +
				"      \"options\": { \"baseURL\": \"{base}/v1\", \"apiKey\": \"-\" },\n" +
				"      \"models\": { \"{chat}\": { \"name\": \"{chat}\" } }\n    }\n  },\n" +
				"  \"model\": \"aperture/{chat}\"\n}")},
		{ID: "openai-sdk", Title: "OpenAI SDK (Python)", Missing: missing(okC, "the OpenAI Chat Completions API"),
			Code: r.Replace("from openai import OpenAI\n\nclient = OpenAI(base_url=\"{base}/v1\", api_key=\"-\")\n" +
				"resp = client.chat.completions.create(\n    model=\"{chat}\",\n    messages=[{\"role\": \"user\", \"content\": \"Say hello\"}],\n)\n" +
				"print(resp.choices[0].message.content)")},
		{ID: "anthropic-sdk", Title: "Anthropic SDK (Python)", Missing: missing(okA, "the Anthropic Messages API"),
			Code: r.Replace("import anthropic\n\nclient = anthropic.Anthropic(base_url=\"{base}\", api_key=\"-\")\n" +
				"msg = client.messages.create(\n    model=\"{anth}\",\n    max_tokens=256,\n    messages=[{\"role\": \"user\", \"content\": \"Say hello\"}],\n)\n" +
				"print(msg.content[0].text)")},
		{ID: "curl", Title: "curl",
			Code: r.Replace("# the models you may use\ncurl {base}/v1/models\n\n" +
				"curl {base}/v1/messages -H 'content-type: application/json' \\\n" +
				"  -d '{\"model\": \"{anth}\", \"max_tokens\": 25, \"messages\": [{\"role\": \"user\", \"content\": \"respond with: hello\"}]}'\n\n" +
				"curl {base}/v1/chat/completions -H 'content-type: application/json' \\\n" +
				"  -d '{\"model\": \"{chat}\", \"messages\": [{\"role\": \"user\", \"content\": \"respond with: hello\"}]}'")},
	}
}

// baseURL is the address clients should use for this gateway, as the
// viewer reached it: the tailnet name (http://ai), or http://localhost:PORT
// through ts-unplug, which sets X-Forwarded-Host and keeps Host. The
// header only changes what the page displays, never who the caller is.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if fh, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ","); validHost(strings.TrimSpace(fh)) {
		host = strings.TrimSpace(fh)
	}
	if host == "" {
		host = "ai"
	}
	return scheme + "://" + host
}

// validHost accepts host[:port] made of the characters host names and IP
// literals use, so a stray header cannot inject text into the snippets.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
