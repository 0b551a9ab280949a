package apis

import "strings"

// DefaultSearchesPerTool is how many calls a server-side search tool is
// assumed to make when the request sets no max_uses: what Anthropic's and
// OpenAI's agents use in a long research turn, rather than unlimited.
const DefaultSearchesPerTool = 20

// Searches counts the billed server-side search calls a request allows:
// for each web_search or file_search tool it declares (Anthropic's
// web_search_*, OpenAI's web_search, web_search_preview, file_search),
// its max_uses, or def when it sets none; capped by the Responses API's
// max_tool_calls. The gateway holds their fees as it holds tokens: the
// provider bills them per call, beside the tokens.
func Searches(body []byte, info BodyInfo, def int64) (web, file int64) {
	if !info.HasTools {
		return 0, 0
	}
	arr := body[info.Tools.Start:info.Tools.End]
	s := scanner{data: arr}
	s.pos = 1 // '['
	for {
		s.skipSpace()
		if s.consume(']') || s.pos >= len(arr) {
			break
		}
		start := s.pos
		if _, err := s.skipValue(1); err != nil {
			break // unreachable: ScanBody validated the body
		}
		typ, uses := toolTypeAndUses(arr[start:s.pos], def)
		switch {
		case strings.HasPrefix(typ, "web_search"):
			web += uses
		case typ == "file_search":
			file += uses
		}
		s.skipSpace()
		s.consume(',')
	}
	if info.MaxToolCalls >= 0 {
		web, file = min(web, info.MaxToolCalls), min(file, info.MaxToolCalls)
	}
	return web, file
}

// toolTypeAndUses reads a tool declaration's "type" and "max_uses".
func toolTypeAndUses(tool []byte, def int64) (typ string, uses int64) {
	uses = def
	if len(tool) == 0 || tool[0] != '{' {
		return "", 0
	}
	walkObject(tool, func(key []byte, keyEsc bool, valStart, valEnd int, valEsc bool) {
		val := tool[valStart:valEnd]
		switch {
		case keyIs(key, keyEsc, "type") && val[0] == '"':
			typ = unquote(val, valEsc)
		case keyIs(key, keyEsc, "max_uses"):
			if n, ok, err := count("max_uses", val); err == nil && ok {
				uses = n
			}
		}
	})
	return typ, uses
}
